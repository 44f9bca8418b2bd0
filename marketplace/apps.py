from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_shipping_defaults(sender: AppConfig, **kwargs: Any) -> None:
    from marketplace.services.shipping import shipping_defaults_install

    shipping_defaults_install()


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        # A new site can ship from its first order; its admins then edit the zones and rates.
        post_migrate.connect(_install_shipping_defaults, sender=self)
