from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Action Learning Plans")

    def ready(self):
        from plans import audit, cache, history

        cache._connect()
        history.register()
        audit.connect()
