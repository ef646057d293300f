from django.apps import AppConfig


class AuthorizationConfig(AppConfig):
    name = "authorization"
    verbose_name = "Order authorization"

    def ready(self):
        from django.contrib import admin
        from django.db.models.signals import post_migrate

        from kit.admin_lists import guard_every_list

        from .roles import sync_role_groups

        # Once per migrate (or flush): after the last app's signal, when every app's permissions
        # exist, since the role groups span several apps. Not once per app: each run costs a
        # query per permission.
        last = [config for config in self.apps.get_app_configs() if config.models_module is not None][-1]
        post_migrate.connect(sync_role_groups, sender=last, dispatch_uid="sync_role_groups")
        # Every app's admin module is imported by now (the admin app comes first, and finds them).
        guard_every_list(admin.site)
