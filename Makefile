# pgclone — PGXS build
EXTENSION = pgclone
EXTVERSION = 5.0
MODULE_big = pgclone
# Debian 12's PostgreSQL 15 unless PG_CONFIG says otherwise; where there is no
# 15 (the 17/18 roots of scripts/target-env.sh, where pg_buildext clean runs
# make without PG_CONFIG) the pg_config on PATH.  (Before the line further
# down, which then keeps this value.)
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

# Sources are found relative to this Makefile, so that a VPATH build works
# (Debian's pg_buildext builds in build-<version>/ with -f <src>/Makefile).
top := $(patsubst %/,%,$(dir $(firstword $(MAKEFILE_LIST))))
SRCS = $(sort $(wildcard $(top)/src/*.c $(top)/src/*/*.c))
OBJS = $(patsubst $(top)/%.c,%.o,$(SRCS))

# The current version's install script is assembled from sql/pgclone.sql and
# one fragment per capability (sql/NN_*.sql), so each capability keeps its SQL
# beside its C.  Released versions' install scripts (sql/pgclone--X.Y.sql) are
# kept as released, with an upgrade script per step (sql/pgclone--A--B.sql).
SQL_PARTS = $(top)/sql/pgclone.sql $(sort $(wildcard $(top)/sql/[0-9][0-9]_*.sql))
DATA_built = pgclone--$(EXTVERSION).sql pgclone--4.4.2--1.1.sql
DATA = $(patsubst $(top)/%,%,$(filter-out $(top)/sql/pgclone--$(EXTVERSION).sql,\
	$(wildcard $(top)/sql/pgclone--*.sql)))
EXTRA_CLEAN = $(DATA_built) fake_dict.h

# The library refuses to run against another SQL version (src/pgclone.c).
PG_CPPFLAGS = -I$(libpq_srcdir) -I$(top)/src -DPGCLONE_EXTVERSION='"$(EXTVERSION)"'
PG_CFLAGS = -Wall -Wextra -Werror -Wshadow=compatible-local -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-clobbered -Wno-cast-function-type
SHLIB_LINK_INTERNAL = $(libpq)

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test \
	--temp-instance=test/tmp_check_regress --temp-config=test/regress.conf
TAP_TESTS = 1
PROVE_TESTS = $(or $(T),test/t/*.pl)

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
# The check of conninfo options against the server's list of blessed proxy
# options came with a minor release of each branch (15.20, 17.12; not yet in
# 18.6): what the installed headers have decides, not the major.
ifneq ($(shell grep -s -l libpqsrv_check_proxy_conninfo_opts $(shell $(PG_CONFIG) --includedir-server)/libpq/libpq-be-fe-helpers.h),)
PG_CPPFLAGS += -DPGC_HAS_PROXY_OPTION_CHECK
endif

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies (Debian's build has no --enable-depend):
# every object depends on every header, so a changed struct cannot leave a
# stale object with the old layout behind.
$(OBJS): $(wildcard $(top)/src/*.h $(top)/src/*/*.h)
# the library's SQL version comes from EXTVERSION above
src/pgclone.o: $(top)/Makefile

# The fake_* masks' dictionaries are made from packaged word lists at build
# time (Build-Depends: ruby-faker, python3-fake-factory), never kept here.
FAKER_RUBY_DIR ?= $(firstword $(wildcard /usr/share/rubygems-integration/all/gems/faker-*/lib/locales/en))
FAKER_PY_DIR ?= /usr/lib/python3/dist-packages/faker/providers
PG_CPPFLAGS += -I.
fake_dict.h: $(top)/scripts/gen-fake-dict.py
	python3 $< "$(FAKER_RUBY_DIR)" "$(FAKER_PY_DIR)" $@
src/mask/fake.o: fake_dict.h

pgclone--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

# The original pgclone's 4.4.2 becomes our 1.1 (sql/original/): its objects
# out, 1.1's install script (without its CREATE EXTENSION guard line), then
# what users built on the original carried over.
pgclone--4.4.2--1.1.sql: $(top)/sql/original/4.4.2--1.1.head.sql $(top)/sql/pgclone--1.1.sql \
		$(top)/sql/original/4.4.2--1.1.tail.sql
	{ cat $(word 1,$^); grep -v '^\\echo ' $(word 2,$^); cat $(word 3,$^); } > $@

# a VPATH build puts the objects in a tree of its own
ifdef VPATH
$(OBJS) $(OBJS:.o=.bc): | objdirs
objdirs:
	mkdir -p $(sort $(dir $(OBJS)))
.PHONY: objdirs
endif

# after the include: Makefile.global resets PROVE_FLAGS
PROVE_FLAGS = -I ./test/perl --timer
