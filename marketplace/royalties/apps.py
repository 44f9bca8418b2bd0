from django.apps import AppConfig


class RoyaltiesConfig(AppConfig):
    name = "marketplace.royalties"
    label = "royalties"
    verbose_name = "Royalties"
