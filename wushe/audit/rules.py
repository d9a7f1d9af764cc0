import rules

from wushe.accounts.rules import is_admin, is_auditor

# The audit log is read by auditors and admins, each within their region scope.
rules.add_perm("audit.search_events", is_auditor | is_admin)
