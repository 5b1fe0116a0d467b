# SPDX-License-Identifier: GPL-2.0
#
# libkchan's manual pages: man/man3/kchan*.3 and man/man7/*.7.
#
#   make man-check     render every page; any warning from man or groff,
#                      or a line wider than 80 columns, fails
#   make install-man   install man/man3/*.3 and man/man7/*.7 under
#                      $(DESTDIR)$(PREFIX)/share/man
#
# Pages are rendered from man/, so that a stub's ".so man3/page.3" finds
# its target as it will once installed.

MAN_DIR    := $(TOP)/man
MAN_CHECK  := $(patsubst $(MAN_DIR)/%,%,$(sort \
		$(wildcard $(MAN_DIR)/man3/kchan*.3) $(wildcard $(MAN_DIR)/man7/*.7)))
MAN_GROFF  := groff -man -t -s -z -ww -Kutf8

.PHONY: man-check install-man

man-check: | deps
	@cd $(MAN_DIR) && fail=0; \
	for p in $(MAN_CHECK); do \
		out=$$( { LC_ALL=C.UTF-8 man --warnings=w -l -E UTF-8 -Tutf8 -Z $$p >/dev/null; } 2>&1; \
			$(MAN_GROFF) $$p 2>&1; \
			LC_ALL=C.UTF-8 MANWIDTH=80 man -l $$p 2>&1 | \
				LC_ALL=C.UTF-8 grep -E '.{81}' | sed 's/^/wider than 80 columns: /'; \
			true); \
		if [ -n "$$out" ]; then \
			echo "$$out" | sed "s|^|man/$$p: |" >&2; fail=1; \
		fi; \
	done; \
	[ $$fail = 0 ] && echo "  MAN-CHECK $(words $(MAN_CHECK)) pages, no warnings"

install-man:
	install -d $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 $(wildcard $(MAN_DIR)/man3/*.3) $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 $(wildcard $(MAN_DIR)/man7/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/
