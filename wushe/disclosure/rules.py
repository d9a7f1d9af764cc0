"""Public disclosure needs no permission: anyone, signed in or not, may read it."""

from __future__ import annotations

import rules

rules.add_perm("disclosure.view", rules.always_allow)
