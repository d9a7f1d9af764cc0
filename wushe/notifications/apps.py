from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "wushe.notifications"
    label = "notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from wushe.core import crypto, nav

        from .models import PHONE_PURPOSE

        crypto.register_encrypted_field(
            "notifications.NotificationPreference", "phone_token", PHONE_PURPOSE
        )
        nav.register(
            nav.NavItem(
                key="notifications",
                label=_("消息"),
                url_name="notifications:inbox",
                permission="accounts.view_own_profile",
                description=_("查看发给您的消息：诉求进展、待办提醒等。"),
                order=50,
            )
        )
