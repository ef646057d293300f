from django.apps import AppConfig


class AuthorizationConfig(AppConfig):
    name = "authorization"
    verbose_name = "Order authorization"

    def ready(self):
        from django.contrib import admin

        from kit.admin_lists import guard_every_list

        # Every app's admin module is imported by now (the admin app comes first, and finds them).
        guard_every_list(admin.site)
