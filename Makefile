# The two commands of the README; each installs what it needs first.
.PHONY: up test

up:
	scripts/up $(ARGS)

test:
	scripts/test $(ARGS)
