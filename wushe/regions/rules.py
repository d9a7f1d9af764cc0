import rules

# The division tree is public statistical data (published by 国家统计局): every signed-in user
# may read all of it. Whether a region lies in the user's own scope is reported as `in_scope`.
rules.add_perm("regions.browse", rules.is_authenticated)
