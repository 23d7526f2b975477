# SubsetFixture — the subset test schema: the tests of subsets (060), sampled
# subsets and virtual foreign keys (061, 062).
package SubsetFixture;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(subset_fixture_sql);

# The SQL that creates schema $nsp (default s) with its rows; without_mentor:
# leave out the ON DELETE SET NULL key employees.mentor_id (a soft key, which a
# virtual key cannot stand for).
sub subset_fixture_sql
{
	my (%o) = @_;
	my $sql = <<'SQL';
CREATE SCHEMA s;
CREATE TABLE s.regions (id int PRIMARY KEY, name text);
CREATE TABLE s.employees (id int PRIMARY KEY, dept text NOT NULL,
  manager_id int REFERENCES s.employees (id),
  mentor_id int REFERENCES s.employees (id) ON DELETE SET NULL);
CREATE TABLE s.customers (id int PRIMARY KEY, region_id int NOT NULL REFERENCES s.regions,
  account_manager int REFERENCES s.employees, created date NOT NULL);
CREATE TABLE s.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES s.customers);
CREATE TABLE s.products (id int PRIMARY KEY, sku text NOT NULL UNIQUE);
CREATE TABLE s.order_lines (order_id int REFERENCES s.orders, line_no int,
  sku text REFERENCES s.products (sku), qty int, PRIMARY KEY (order_id, line_no));
CREATE TABLE s.line_notes (id serial PRIMARY KEY, order_id int, line_no int, note text,
  FOREIGN KEY (order_id, line_no) REFERENCES s.order_lines);
CREATE TABLE s.teams (id int PRIMARY KEY, lead_id int);
CREATE TABLE s.members (id int PRIMARY KEY, team_id int REFERENCES s.teams);
ALTER TABLE s.teams ADD FOREIGN KEY (lead_id) REFERENCES s.members DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE s.events (id int, at date, customer_id int REFERENCES s.customers,
  PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE s.events_2023 PARTITION OF s.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE s.events_2024 PARTITION OF s.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE s.event_tags (event_id int, event_at date, tag text,
  FOREIGN KEY (event_id, event_at) REFERENCES s.events);
CREATE TABLE s."We""ird Tab" ("c""ol" int PRIMARY KEY, "cust id" int REFERENCES s.customers);
CREATE TABLE s.audit (id int, what text);

INSERT INTO s.regions SELECT g, 'r' || g FROM generate_series(1, 5) g;
INSERT INTO s.employees (id, dept) SELECT g, CASE WHEN g % 4 = 0 THEN 'eng' ELSE 'ops' END
  FROM generate_series(1, 40) g;
UPDATE s.employees SET manager_id = id / 2 WHERE id > 1;
UPDATE s.employees SET mentor_id = (id % 40) + 1;
INSERT INTO s.customers SELECT g, g % 5 + 1, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 40 + 1 END,
  date '2024-01-01' + g FROM generate_series(1, 300) g;
INSERT INTO s.orders SELECT g, g % 300 + 1 FROM generate_series(1, 1500) g;
INSERT INTO s.products SELECT g, 'P' || g FROM generate_series(1, 10) g;
INSERT INTO s.order_lines SELECT o, l, CASE WHEN l = 3 THEN NULL ELSE 'P' || ((o + l) % 10 + 1) END, l
  FROM generate_series(1, 1500) o, generate_series(1, 3) l;
INSERT INTO s.line_notes (order_id, line_no, note)
  SELECT o, l, 'n' FROM generate_series(1, 1500, 2) o, generate_series(1, 2) l;
BEGIN;
INSERT INTO s.teams SELECT g, g * 3 FROM generate_series(1, 10) g;
INSERT INTO s.members SELECT g, g % 10 + 1 FROM generate_series(1, 30) g;
COMMIT;
INSERT INTO s.events SELECT g, date '2023-06-01' + g, g % 300 + 1 FROM generate_series(1, 400) g;
INSERT INTO s.event_tags SELECT id, at, 't' FROM s.events WHERE id % 2 = 0;
INSERT INTO s."We""ird Tab" SELECT g, g % 300 + 1 FROM generate_series(1, 100) g;
INSERT INTO s.audit SELECT g, 'x' FROM generate_series(1, 50) g;
SQL
	$sql =~ s/\n  mentor_id int REFERENCES s\.employees \(id\) ON DELETE SET NULL/\n  mentor_id int/
	  if $o{without_mentor};
	return $sql;
}

1;
