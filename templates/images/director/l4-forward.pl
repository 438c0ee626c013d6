#!/usr/bin/perl
# lab-l4-forward: layer-4 forwarding for kernels without IPVS (errata 13). It does what keepalived's
# virtual_server blocks do with IPVS: DNAT each VIP:port to the live real servers, spread with numgen,
# and health-check them the way keepalived's TCP_CHECK does. One process, no fork per check: every check
# is a non-blocking TCP connect, and select() waits for all of them. nft runs only when the set of live
# servers of a virtual server changes, once, with the whole table.
#
# The spec (LAB_L4_SPEC, default /etc/lab/l4.spec) is written by lab from keepalived.conf
# (src/forwarding/l4-spec.ts), so keepalived.conf stays the one source of truth. Line-based, words
# separated by blanks, `#` starts a comment line, times in seconds (decimals allowed):
#
#   lab-l4 1                                   format version, first line
#   vs VIP PORT ALGO                           a virtual_server (protocol TCP, lb_kind NAT); ALGO rr or wrr
#   rs IP PORT WEIGHT                          a real_server of the vs above; weight 0 = no new connections
#   check IP PORT TIMEOUT RETRY DBR DELAY WARMUP ALPHA
#                                              a TCP_CHECK of the rs above: connect_ip, connect_port,
#                                              connect_timeout, retry, delay_before_retry, delay_loop,
#                                              warmup, alpha (0/1)
#
# Health checks follow keepalived 2.2.7 (check_tcp.c tcp_epilog, check_data.c): the first check runs a
# random time within warmup; a check that fails is retried RETRY times, DBR apart, before the server is
# taken out (except the very first check, where one failure is enough); one success brings it back; a
# server starts alive unless ALPHA; a real server with several checks is alive when all are up, and one
# without any check is always alive, as with IPVS. rr spreads new connections evenly over the live
# servers with weight > 0, wrr in IPVS's weighted order (each server weight/gcd times per round). When
# no server of a virtual server is alive it forwards to all of them (a refused connection says more than
# a silent VIP) and says so.
#
# Env: LAB_L4_SPEC (spec path); LAB_L4_NFT=print prints each ruleset to stdout instead of running
# `nft -f -` (for tests). Signals: HUP re-reads the spec (checks of unchanged servers keep their state),
# TERM and INT exit at once. One line per change on stdout.
use strict;
use warnings;
use IO::Select;
use Socket qw(PF_INET SOCK_STREAM IPPROTO_TCP SOL_SOCKET SO_ERROR inet_aton pack_sockaddr_in);
use POSIX qw(EINPROGRESS EWOULDBLOCK EINTR F_GETFL F_SETFL O_NONBLOCK);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

$| = 1;
my $spec_path = $ENV{LAB_L4_SPEC} || '/etc/lab/l4.spec';
my $print_mode = ($ENV{LAB_L4_NFT} || '') eq 'print';
my ($stop, $reload) = (0, 0);
$SIG{TERM} = $SIG{INT} = sub { $stop = 1 };
$SIG{HUP} = sub { $reload = 1 };
$SIG{PIPE} = 'IGNORE';

sub now { clock_gettime(CLOCK_MONOTONIC) }
sub say_line { print 'lab-l4-forward: ', @_, "\n" }

# ---- spec ------------------------------------------------------------------------------------------

my $num = qr/^(?:\d+(?:\.\d*)?|\.\d+)$/;
my $ip4 = qr/^(?:\d{1,3}\.){3}\d{1,3}$/;

# Returns [virtual servers] or dies with "LINE: problem".
sub read_spec {
    my ($path) = @_;
    open(my $fh, '<', $path) or die "cannot read $path: $!\n";
    my (@vs, $header);
    while (my $line = <$fh>) {
        my $n = $.;
        $line =~ s/\s+$//;
        next if $line =~ /^\s*(#|$)/;
        my @w = split ' ', $line;
        if (!$header) {
            die "$path:$n: expected 'lab-l4 1' first\n" unless @w == 2 && $w[0] eq 'lab-l4';
            die "$path:$n: spec version $w[1], this forwarder reads version 1\n" unless $w[1] eq '1';
            $header = 1;
        } elsif ($w[0] eq 'vs') {
            die "$path:$n: vs VIP PORT ALGO\n" unless @w == 4 && $w[1] =~ $ip4 && $w[2] =~ /^\d+$/ && $w[2] >= 1 && $w[2] <= 65535;
            die "$path:$n: lb_algo $w[3] is not emulated (rr, wrr)\n" unless $w[3] eq 'rr' || $w[3] eq 'wrr';
            push @vs, { vip => $w[1], port => $w[2], algo => $w[3], rs => [] };
        } elsif ($w[0] eq 'rs') {
            die "$path:$n: rs before any vs\n" unless @vs;
            die "$path:$n: rs IP PORT WEIGHT\n" unless @w == 4 && $w[1] =~ $ip4 && $w[2] =~ /^\d+$/ && $w[2] >= 1 && $w[2] <= 65535 && $w[3] =~ /^\d+$/;
            push @{ $vs[-1]{rs} }, { ip => $w[1], port => $w[2], weight => $w[3], checks => [] };
        } elsif ($w[0] eq 'check') {
            die "$path:$n: check before any rs\n" unless @vs && @{ $vs[-1]{rs} };
            die "$path:$n: check IP PORT TIMEOUT RETRY DBR DELAY WARMUP ALPHA\n"
              unless @w == 9 && $w[1] =~ $ip4 && $w[2] =~ /^\d+$/ && $w[2] >= 1 && $w[2] <= 65535
              && $w[3] =~ $num && $w[3] > 0 && $w[4] =~ /^\d+$/ && $w[5] =~ $num && $w[6] =~ $num && $w[6] > 0 && $w[7] =~ $num && $w[8] =~ /^[01]$/;
            my $rs = $vs[-1]{rs}[-1];
            push @{ $rs->{checks} }, {
                ip => $w[1], port => $w[2], timeout => $w[3], retry => $w[4], dbr => $w[5], delay => $w[6], warmup => $w[7], alpha => $w[8],
                name => "$rs->{ip}:$rs->{port} (TCP_CHECK $w[1]:$w[2])",
            };
        } else {
            die "$path:$n: unknown line '$w[0]'\n";
        }
    }
    die "$path: empty (expected 'lab-l4 1')\n" unless $header;
    return \@vs;
}

# A check keeps its state across a reload when its virtual server, real server and target are the same.
sub check_key { my ($vs, $rs, $c) = @_; join ' ', $vs->{vip}, $vs->{port}, $rs->{ip}, $rs->{port}, $c->{ip}, $c->{port} }

sub start_checks {
    my ($vss, $old) = @_;
    my $t = now();
    my @checks;
    for my $vs (@$vss) {
        for my $rs (@{ $vs->{rs} }) {
            for my $c (@{ $rs->{checks} }) {
                my $prev = $old->{ check_key($vs, $rs, $c) };
                if ($prev) {
                    $c->{$_} = $prev->{$_} for qw(up has_run retry_it);
                    $c->{next_at} = $t;
                } else {
                    # keepalived: alive unless alpha; one failure is enough before the first success.
                    $c->{up} = $c->{alpha} ? 0 : 1;
                    $c->{has_run} = 0;
                    $c->{retry_it} = $c->{retry};
                    $c->{next_at} = $t + ($c->{warmup} > 0 ? rand($c->{warmup}) : 0);    # rand(0) is rand(1) in Perl
                }
                $c->{sock} = undef;
                push @checks, $c;
            }
        }
    }
    return \@checks;
}

# ---- checks ----------------------------------------------------------------------------------------

my $select = IO::Select->new;
my %pending;    # fileno => check
my $dirty = 1;  # a server went up or down since the last converge()

sub finish_check {
    my ($c, $ok, $why) = @_;
    if (my $s = $c->{sock}) {
        $select->remove($s);
        delete $pending{ fileno $s };
        close $s;
        $c->{sock} = undef;
    }
    my $delay;
    if ($ok || $c->{retry_it} >= $c->{retry}) {
        $delay = $c->{delay};
        $c->{retry_it} = 0;
        if ($ok && (!$c->{up} || !$c->{has_run})) {
            if (!$c->{up}) {
                say_line("$c->{name} up");
                $dirty = 1;
            }
            $c->{up} = 1;
        } elsif (!$ok && ($c->{up} || !$c->{has_run})) {
            my $tries = $c->{has_run} && $c->{retry} ? " after $c->{retry} retries" : '';
            if ($c->{up}) {
                say_line("$c->{name} down: $why$tries");
                $dirty = 1;
            }
            $c->{up} = 0;
        }
    } else {
        $delay = $c->{dbr};
        $c->{retry_it}++;
    }
    $c->{has_run} = 1;
    $c->{next_at} = now() + $delay;
}

sub launch_check {
    my ($c) = @_;
    my $s;
    if (!socket($s, PF_INET, SOCK_STREAM, IPPROTO_TCP)) {
        say_line("cannot create a socket ($!), checking $c->{name} later");
        $c->{next_at} = now() + $c->{delay};
        return;
    }
    my $flags = fcntl($s, F_GETFL, 0);
    fcntl($s, F_SETFL, $flags | O_NONBLOCK);
    $c->{sock} = $s;
    if (connect($s, pack_sockaddr_in($c->{port}, inet_aton($c->{ip})))) {
        finish_check($c, 1);
    } elsif ($! == EINPROGRESS || $! == EWOULDBLOCK) {
        $c->{deadline} = now() + $c->{timeout};
        $select->add($s);
        $pending{ fileno $s } = $c;
    } else {
        finish_check($c, 0, "$!");
    }
}

sub connected {
    my ($s) = @_;
    my $c = $pending{ fileno $s } or return;
    my $err = unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR) // pack('i', 0));
    if ($err) {
        local $! = $err;
        finish_check($c, 0, "$!");
    } else {
        finish_check($c, 1);
    }
}

# ---- ruleset ---------------------------------------------------------------------------------------

sub gcd { my ($a, $b) = @_; ($a, $b) = ($b, $a % $b) while $b; $a }

# The servers a virtual server sends new connections to, in numgen order.
sub targets {
    my ($vs) = @_;
    my @alive = grep { my $rs = $_; !grep { !$_->{up} } @{ $rs->{checks} } } @{ $vs->{rs} };
    my $fallback = !@alive && @{ $vs->{rs} };
    @alive = @{ $vs->{rs} } if $fallback;
    my @w = grep { $_->{weight} > 0 } @alive;
    return ([], $fallback, \@alive) unless @w;
    return ([@w], $fallback, \@alive) if $vs->{algo} eq 'rr';
    # wrr: IPVS's weighted round robin order; weights divided by their gcd, scaled down past 1024 entries.
    my @weights = map { $_->{weight} } @w;
    my $g = 0;
    $g = gcd($g, $_) for @weights;
    @weights = map { $_ / $g } @weights;
    my $sum = 0;
    $sum += $_ for @weights;
    if ($sum > 1024) {
        @weights = map { my $x = int($_ * 1024 / $sum + 0.5); $x < 1 ? 1 : $x } @weights;
        $g = 0;
        $g = gcd($g, $_) for @weights;
        @weights = map { $_ / $g } @weights;
    }
    my ($max) = sort { $b <=> $a } @weights;
    my @seq;
    for (my $cw = $max; $cw > 0; $cw--) {
        for my $i (0 .. $#w) { push @seq, $w[$i] if $weights[$i] >= $cw }
    }
    return (\@seq, $fallback, \@alive);
}

sub ruleset {
    my ($vss) = @_;
    # One statement per line: nft rejects the one-line form `table ip lab { chain pre { ...; } }` with a
    # syntax error. One transaction: create the table if missing, delete it, add it again, so clients
    # never see a half-written table. No postrouting chain: NAT replies return through this director,
    # the real servers' gateway.
    my @out = ('table ip lab', 'delete table ip lab', 'table ip lab {', '  chain pre {', '    type nat hook prerouting priority -100;');
    for my $vs (@$vss) {
        my ($seq) = targets($vs);
        next unless @$seq;
        my $match = "ip daddr $vs->{vip} tcp dport $vs->{port}";
        if (@$seq == 1) {
            push @out, "    $match dnat to $seq->[0]{ip}:$seq->[0]{port}";
        } else {
            my $i = 0;
            my $map = join ', ', map { $i++ . " : $_->{ip} . $_->{port}" } @$seq;
            push @out, "    $match dnat to numgen inc mod " . scalar(@$seq) . " map { $map }";
        }
    }
    push @out, '  }', '}';
    return join("\n", @out) . "\n";
}

sub apply {
    my ($rules) = @_;
    if ($print_mode) {
        print "lab-l4-forward: ruleset\n", $rules, "lab-l4-forward: end of ruleset\n";
        return 1;
    }
    my $ok = open(my $nft, '|-', 'nft', '-f', '-');
    if ($ok) {
        print $nft $rules;
        $ok = close($nft);
    }
    say_line('nft rejected the ruleset', $ok ? '' : " ($!" . ($? ? ", exit " . ($? >> 8) : '') . ')') unless $ok;
    return $ok;
}

sub describe {
    my ($vs) = @_;
    my ($seq, $fallback, $alive) = targets($vs);
    my %seen;
    my @names = grep { !$seen{$_}++ } map { "$_->{ip}:$_->{port}" } @$seq;
    my $to = @names ? join(' ', @names) : 'nothing (every live real server has weight 0)';
    $to .= " (wrr weights " . join(':', map { $_->{weight} } grep { $_->{weight} > 0 } @$alive) . ')' if $vs->{algo} eq 'wrr' && @names > 1;
    my $note = $fallback ? ' - no real server is alive, so forwarding to all of them' : '';
    return "$vs->{vip}:$vs->{port} $vs->{algo} -> $to$note";
}

# ---- main loop -------------------------------------------------------------------------------------

my $vss = eval { read_spec($spec_path) };
if (!$vss) {
    print STDERR "lab-l4-forward: $@";
    exit 1;
}
my $checks = start_checks($vss, {});
# The ruleset in force; one nft could not apply is tried again 5 s later (or when it changes), not at once.
my (%shown, $applied, $failed, $retry_at);

sub converge {
    return unless $dirty || (defined $failed && now() >= $retry_at);
    $dirty = 0;
    my $rules = ruleset($vss);
    my $changed = (!defined $applied || $rules ne $applied) && (!defined $failed || $rules ne $failed || now() >= $retry_at);
    for my $vs (@$vss) {
        my $d = describe($vs);
        my $key = "$vs->{vip}:$vs->{port}";
        if (!defined $shown{$key} || $shown{$key} ne $d) {
            say_line("forwarding $d");
            $shown{$key} = $d;
        }
    }
    return unless $changed;
    if (apply($rules)) {
        ($applied, $failed) = ($rules, undef);
    } else {
        ($failed, $retry_at) = ($rules, now() + 5);
    }
}

say_line("started: ", scalar(@$vss), " virtual server(s), ", scalar(@$checks), " TCP check(s) from $spec_path", $print_mode ? ' (printing rulesets, not applying them)' : '');
converge();

until ($stop) {
    if ($reload) {
        $reload = 0;
        my $new = eval { read_spec($spec_path) };
        if ($new) {
            my %old = map { my $vs = $_; map { my $rs = $_; map { (check_key($vs, $rs, $_) => $_) } @{ $rs->{checks} } } @{ $vs->{rs} } } @$vss;
            for my $c (@$checks) {
                next unless $c->{sock};
                $select->remove($c->{sock});
                delete $pending{ fileno $c->{sock} };
                close $c->{sock};
                $c->{sock} = undef;
            }
            $vss = $new;
            $checks = start_checks($vss, \%old);
            $dirty = 1;
            %shown = map { ("$_->{vip}:$_->{port}" => $shown{"$_->{vip}:$_->{port}"}) } grep { defined $shown{"$_->{vip}:$_->{port}"} } @$vss;
            say_line("reloaded $spec_path: ", scalar(@$vss), " virtual server(s), ", scalar(@$checks), " TCP check(s)");
            converge();
        } else {
            say_line("reload failed, keeping the previous spec: $@" =~ s/\n$//r);
        }
        next;
    }

    my $t = now();
    for my $c (@$checks) {
        if ($c->{sock}) {
            finish_check($c, 0, 'connection timed out') if $t >= $c->{deadline};
        } elsif ($t >= $c->{next_at}) {
            launch_check($c);
        }
    }
    converge();

    my $wake;
    for my $c (@$checks) {
        my $at = $c->{sock} ? $c->{deadline} : $c->{next_at};
        $wake = $at if !defined $wake || $at < $wake;
    }
    # At most 0.5 s: a signal that lands between the checks of $stop/$reload and select() waits no longer.
    my $timeout = defined $wake ? $wake - now() : 0.5;
    $timeout = 0 if $timeout < 0;
    $timeout = 0.5 if $timeout > 0.5;
    last if $stop;
    next if $reload;
    my @ready = $select->count ? $select->can_write($timeout) : do { select(undef, undef, undef, $timeout); () };
    connected($_) for @ready;
    converge() if @ready;
}
say_line('stopping');
exit 0;
