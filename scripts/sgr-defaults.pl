#!/usr/bin/perl
# Spells out SGR 39/49 (default foreground/background) as the dark theme's
# text colour and the screenshot canvas, which freeze renders correctly.
# Colour arguments (38;2;r;g;b, 38;5;n) are skipped, not mistaken for 39/49.
use strict;
use warnings;
sub fix {
  my @p = split /;/, $_[0], -1;
  my @out;
  for (my $i = 0; $i < @p; $i++) {
    my $x = $p[$i];
    if (($x eq "38" || $x eq "48" || $x eq "58") && $i + 1 < @p) {
      my $n = $p[$i + 1] eq "2" ? 4 : $p[$i + 1] eq "5" ? 2 : 0;
      push @out, @p[$i .. $i + $n];
      $i += $n;
    } elsif ($x eq "39") {
      push @out, "38;2;216;222;233";
    } elsif ($x eq "49") {
      push @out, "48;2;31;35;43";
    } else {
      push @out, $x;
    }
  }
  return join ";", @out;
}
while (<>) {
  s/\e\[([0-9;]*)m/"\e[" . fix($1) . "m"/ge;
  print;
}
