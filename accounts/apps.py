from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and teams")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from .middleware import language_remember
        from .roles import sync_role_groups

        # Once per migrate (or flush): after the last app's signal, when every app's permissions
        # exist, since the role groups span several apps. Not once per app: each run costs a
        # query per permission.
        last = [config for config in self.apps.get_app_configs() if config.models_module is not None][-1]
        post_migrate.connect(sync_role_groups, sender=last, dispatch_uid="sync_role_groups")
        user_logged_in.connect(language_remember, dispatch_uid="language_remember")
