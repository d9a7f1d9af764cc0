"""Who may do what with notifications: every signed-in user has an inbox and settings; the
inbox shows only their own messages (selectors filter by recipient; another's is 404)."""

from __future__ import annotations

import rules

rules.add_perm("notifications.view_inbox", rules.is_authenticated)
rules.add_perm("notifications.change_preference", rules.is_authenticated)
