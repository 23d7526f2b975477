#!/usr/bin/env bash
# The documentation holds together:
#  - every relative link and #anchor in README.md, doc/*.md and bench/README.md
#    resolves (anchors as GitHub makes them: the heading's text, lowercase,
#    punctuation dropped, spaces to '-', a repeated heading gets -1, -2, ...);
#  - every function of the current install script (sql/pgclone.sql and
#    sql/NN_*.sql, which the Makefile assembles), every option of the table in
#    src/options.c and every pgclone.* setting defined in src/ is in
#    doc/reference.md.
# Prints each problem and exits 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
exec perl -CSD -Mutf8 -e '
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;

my $bad = 0;
sub problem { print "docs: $_[0]\n"; $bad = 1; }

sub slurp {
	my ($f) = @_;
	open(my $fh, "<:encoding(UTF-8)", $f) or die "$f: $!";
	local $/;
	return scalar <$fh>;
}

# the lines of a Markdown file outside fenced code blocks
sub prose_lines {
	my ($text) = @_;
	my (@out, $fence);
	for my $l (split /\n/, $text) {
		if ($l =~ /^\s*(```|~~~)/) { $fence = !$fence; next; }
		push @out, $l unless $fence;
	}
	return @out;
}

my %anchors_of;
sub anchors {
	my ($f) = @_;
	return $anchors_of{$f} if $anchors_of{$f};
	my (%a, %seen);
	for my $l (prose_lines(slurp($f))) {
		next unless $l =~ /^#{1,6}\s+(.*?)\s*#*\s*$/;
		my $h = $1;
		$h =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;	# a link: its text
		$h =~ s/<[^>]+>//g;				# HTML tags
		my $id = lc $h;
		$id =~ s/[^\w\- ]//g;			# punctuation (backticks too) dropped
		$id =~ s/ /-/g;
		my $n = $seen{$id}++;
		$a{$n ? "$id-$n" : $id} = 1;
	}
	for my $l (split /\n/, slurp($f)) {	# explicit anchors
		$a{$1} = 1 while $l =~ /<a\s+(?:name|id)="([^"]+)"/g;
	}
	return $anchors_of{$f} = \%a;
}

my @files = ("README.md", sort(glob("doc/*.md")), "bench/README.md");
my $links = 0;
for my $f (@files) {
	unless (-f $f) { problem("$f is missing"); next; }
	my $ln = 0;
	my $fence;
	for my $l (split /\n/, slurp($f)) {
		$ln++;
		if ($l =~ /^\s*(```|~~~)/) { $fence = !$fence; next; }
		next if $fence;
		(my $t = $l) =~ s/`[^`]*`//g;		# code spans are not links
		my @targets;
		push @targets, $1 while $t =~ /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
		push @targets, $1 if $t =~ /^\s*\[[^\]]+\]:\s*(\S+)/;
		for my $target (@targets) {
			next if $target =~ m{^[a-z][a-z0-9+.-]*:}i;	# https:, mailto: ...
			$links++;
			my ($path, $frag) = $target =~ /^([^#]*)(?:#(.*))?$/;
			my $dest = $f;
			if ($path ne "") {
				$dest = File::Spec->canonpath(dirname($f) . "/" . $path);
				1 while $dest =~ s{(^|/)(?!\.\./)[^/]+/\.\./}{$1};
				unless (-e $dest) {
					problem("$f:$ln: link to $target: $dest does not exist");
					next;
				}
			}
			next unless defined $frag && $frag ne "";
			if ($dest !~ /\.md$/ || -d $dest) {
				problem("$f:$ln: link to $target: an anchor into a file that is not Markdown");
				next;
			}
			problem("$f:$ln: link to $target: no heading of $dest has the anchor #$frag")
				unless anchors($dest)->{$frag};
		}
	}
}

# the reference names everything
my $ref = "doc/reference.md";
my $reftext = -f $ref ? slurp($ref) : "";
problem("$ref is missing") unless $reftext;
my @parts = ("sql/pgclone.sql", sort(glob("sql/[0-9][0-9]_*.sql")));
my (%func, %opt, %guc);
for my $p (@parts) {
	my $s = slurp($p);
	$s =~ s/--[^\n]*//g;
	$func{lc $1} = 1 while $s =~ /CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+pgclone\.("?\w+"?)\s*\(/gi;
}
my $optc = slurp("src/options.c");
if ($optc =~ /known\[\]\s*=\s*\{(.*?)\};/s) {
	my $tbl = $1;
	$opt{$1} = 1 while $tbl =~ /\{"([^"]+)",/g;
}
problem("src/options.c: no option table (known[]) found") unless %opt;
for my $c (split /\n/, `grep -rhoE "DefineCustom[A-Za-z]+Variable\\(\\"pgclone\\.[a-z_]+" src`) {
	$guc{$1} = 1 if $c =~ /"(pgclone\.[a-z_]+)/;
}
for my $fn (sort keys %func) {
	(my $n = $fn) =~ s/"//g;
	problem("$ref does not describe function pgclone.$n()") unless $reftext =~ /pgclone\.\Q$n\E\(/;
}
for my $o (sort keys %opt) {
	problem("$ref does not describe option \"$o\"") unless $reftext =~ /`"?\Q$o\E"?`/;
}
for my $g (sort keys %guc) {
	problem("$ref does not describe setting $g") unless $reftext =~ /`\Q$g\E`/;
}
printf "docs: %d files, %d relative links, %d functions, %d options, %d settings checked%s\n",
	scalar(@files), $links, scalar(keys %func), scalar(keys %opt), scalar(keys %guc),
	$bad ? ": FAILED" : "";
exit $bad;
'
