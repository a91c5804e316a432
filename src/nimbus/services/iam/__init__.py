"""Identity and access management: principals, roles, policies, accounts, keys, tokens."""
