from django.urls import path

from marketplace.royalties import api

urlpatterns = [
    path("payouts/onboarding/", api.OnboardingView.as_view(), name="payouts-onboarding"),
    path(
        "payouts/onboarding/refresh/", api.OnboardingRefreshView.as_view(), name="payouts-onboarding-refresh"
    ),
    path("payouts/onboarding/return/", api.OnboardingReturnView.as_view(), name="payouts-onboarding-return"),
    path("royalties/", api.RoyaltyStatementView.as_view(), name="royalty-list"),
    path("royalties/statement.csv", api.RoyaltyStatementCsvView.as_view(), name="royalty-statement-csv"),
]
