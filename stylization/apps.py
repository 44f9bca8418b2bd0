from django.apps import AppConfig


class StylizationConfig(AppConfig):
    name = "stylization"
    verbose_name = "Stylization worker"
