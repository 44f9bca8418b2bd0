from frontend.views.studios import *  # noqa: F403
