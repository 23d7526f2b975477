# Passwords never leak; non-superusers must authenticate with a password.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use PgcloneTest;

# log_statement = all (the test default) would log the caller's own SQL text;
# what is checked here is that nothing pgclone emits holds the password.
my ($src, $tgt) = start_pair(
	source_conf => "listen_addresses = '127.0.0.1'\npassword_encryption = 'scram-sha-256'\n",
	target_conf => "log_statement = none\nlog_min_messages = debug1\n");
# replace the test default (trust everywhere): TCP needs a password
open(my $hba, '>', $src->data_dir . '/pg_hba.conf') or die;
print $hba "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
close $hba;
$src->reload;
my $pw = 'S3cr3t-pa55w0rd';
q_source($src, "CREATE ROLE alice LOGIN PASSWORD '$pw'; CREATE TABLE t (id int); INSERT INTO t VALUES (1),(2); GRANT SELECT ON t TO alice");
my $port = $src->port;
my $good = "host=127.0.0.1 port=$port dbname=postgres user=alice password=$pw";
my $bad = "host=127.0.0.1 port=$port dbname=postgres user=alice password=wrong-$pw";

like(q_target($tgt, "SELECT pgclone.table('$good', 'public', 't')"), qr/\(2 rows\)/, 'password login works');

my $err = target_error($tgt, "SELECT pgclone.table('$bad', 'public', 't', true, 't2')");
like($err, qr/08001: could not connect to source server \(host=127.0.0.1 port=$port dbname=postgres\)/,
	'auth failure names host and port');
like($err, qr/password authentication failed/, 'auth failure says why');
unlike($err, qr/\Q$pw\E/, 'error does not contain the password');

$err = target_error($tgt, "SELECT pgclone.table('host=127.0.0.1 port=1 user=alice password=$pw', 'public', 't')");
unlike($err, qr/\Q$pw\E/, 'connection refused: no password in the error');
$err = target_error($tgt, "SELECT pgclone.table('host=127.0.0.1 password=$pw bogus', 'public', 't')");
like($err, qr/08001: invalid source connection string/, 'malformed conninfo');
unlike($err, qr/\Q$pw\E/, 'malformed conninfo: no password in the error');
$err = target_error($tgt, "SELECT pgclone.table('$good', 'public', 'nosuch')");
unlike($err, qr/\Q$pw\E/, 'remote error: no password');

# non-superuser: EXECUTE must be granted, and a password must be used
q_target($tgt, <<SQL);
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA pgclone TO bob;
GRANT CREATE ON SCHEMA public TO bob;
GRANT EXECUTE ON FUNCTION pgclone.table(text, text, text, boolean, text, text) TO bob;
SQL
my $trust = src_conninfo($src);    # unix socket, trust auth
$err = target_error($tgt, "SET ROLE bob; SELECT pgclone.table('$trust', 'public', 't', true, 'tb')");
like($err, qr/2F003: password is required/, 'non-superuser without password refused');
$err = target_error($tgt, "SET ROLE bob; SELECT pgclone.table('$trust password=x', 'public', 't', true, 'tb')");
like($err, qr/2F003: password is required/, 'non-superuser: a password the server does not ask for is refused');
like(q_target($tgt, "SET ROLE bob; SELECT pgclone.table('$good', 'public', 't', true, 'tb')"), qr/\(2 rows\)/,
	'non-superuser with a password works');
$err = target_error($tgt, "CREATE ROLE carol LOGIN; SET ROLE carol; SELECT pgclone.table('$good', 'public', 't', true, 'tc')");
like($err, qr/42501: permission denied/, 'EXECUTE is not granted to PUBLIC');

# nothing pgclone logs holds the password
my $log = slurp_file($tgt->logfile);
unlike($log, qr/\Q$pw\E/, 'target server log has no password');
done_testing();
