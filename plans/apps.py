from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Action Learning Plans")

    def ready(self):
        # Receivers are connected here, once the models exist, so that no module imports upward for them.
        from plans import audit, cache, changes, history, sanitise, search, third_party

        cache.connect()
        changes.connect()
        search.connect()
        history.register()
        sanitise.connect()
        audit.connect()
        third_party.translate_admin_icons()
