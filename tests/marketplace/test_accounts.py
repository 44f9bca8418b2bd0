from rest_framework.test import APIClient

from marketplace.models import User


def test_register_gives_roles_and_a_token(db: None) -> None:
    response = APIClient().post(
        "/api/v1/auth/register/",
        {
            "username": "iris",
            "password": "a-long-test-password",
            "email": "iris@example.com",
            "roles": ["artist", "buyer"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(body["roles"]) == ["artist", "buyer"]
    assert body["token"]
    user = User.objects.get(username="iris")
    assert user.is_artist and user.is_buyer and not user.is_designer


def test_token_login_and_wrong_password(db: None) -> None:
    client = APIClient()
    client.post(
        "/api/v1/auth/register/",
        {
            "username": "iris",
            "password": "a-long-test-password",
            "email": "i@example.com",
            "roles": ["buyer"],
        },
        format="json",
    )
    ok = client.post(
        "/api/v1/auth/token/", {"username": "iris", "password": "a-long-test-password"}, format="json"
    )
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    me = APIClient(HTTP_AUTHORIZATION=f"Token {ok.json()['token']}").get("/api/v1/auth/me/")
    assert me.json()["username"] == "iris"
    bad = client.post(
        "/api/v1/auth/token/", {"username": "iris", "password": "nope-nope-nope"}, format="json"
    )
    assert bad.status_code == 400


def test_register_refuses_bad_input(db: None) -> None:
    client = APIClient()
    good = {
        "username": "iris",
        "password": "a-long-test-password",
        "email": "i@example.com",
        "roles": ["buyer"],
    }
    cases = [
        ({**good, "roles": ["emperor"]}, "roles"),
        ({**good, "roles": []}, "roles"),
        ({**good, "password": "short"}, "password"),
        ({**good, "password": "password123"}, "password"),
        ({**good, "email": "not-an-email"}, "email"),
        ({**good, "is_superuser": True}, "is_superuser"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/auth/register/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json() or "detail" in response.json()
    assert client.post("/api/v1/auth/register/", good, format="json").status_code == 201
    again = client.post("/api/v1/auth/register/", good, format="json")
    assert again.status_code == 400 and "username" in again.json()
    assert not User.objects.filter(is_superuser=True).exists()
