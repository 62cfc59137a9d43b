#!/usr/bin/perl
# Makes Session::Storage::Secure and Dancer::Session::Cookie cookies for
# tests/perl_cookies.rs, one JSON object a line:
#   { name, cookie, secret, old_secrets, now, expires, protocol, compressed,
#     expected }
# where `expected` is the session data as Perl's JSON encoder prints it
# (scalar references dereferenced, as JSON has no references), or null when
# the cookie must not open.
use strict;
use warnings;
use utf8;
use Encode ();
use JSON::PP ();
use Scalar::Util qw(reftype);
use Sereal::Encoder ();
use Session::Storage::Secure ();

my $json = JSON::PP->new->utf8->canonical->allow_nonref;
my $now  = time;

# Deep copy without references to scalars; leaves scalars' flags untouched.
sub plain {
    my ($v) = @_;
    my $type = reftype($v) // return $v;
    return { map { $_ => plain( $v->{$_} ) } keys %$v } if $type eq 'HASH';
    return [ map { plain($_) } @$v ]                    if $type eq 'ARRAY';
    return plain($$v)                                   if $type eq 'SCALAR' || $type eq 'REF';
    die "unexpected reference type $type";
}

# Whether Sereal, with the store's settings, compresses this data.
sub compressed {
    my ( $data, %sereal ) = @_;
    my $doc = Sereal::Encoder->new( { snappy => 1, %sereal } )->encode($data);
    return ( ord( substr( $doc, 4, 1 ) ) >> 4 ) != 0 ? JSON::PP::true : JSON::PP::false;
}

sub emit {
    my (%case) = @_;
    my $secret      = $case{secret}      // 'perl secret';
    my $old         = $case{old_secrets} // [];
    my $data        = $case{data};
    my $sereal      = $case{sereal} // {};
    my $store       = Session::Storage::Secure->new(
        secret_key       => $case{sign_with} // $secret,
        protocol_version => $case{protocol} // 2,
        sereal_encoder_options => { snappy => 1, croak_on_bless => 1, %$sereal },
    );
    my $cookie = $case{cookie} // $store->encode( $data, $case{expires} );
    print $json->encode(
        {
            name        => $case{name},
            cookie      => $cookie,
            secret      => $secret,
            old_secrets => $old,
            now         => $now,
            expires     => $case{expires},
            protocol    => $case{protocol} // 2,
            compressed  => compressed( $data, %$sereal ),
            expected    => exists $case{expected} ? $case{expected} : plain($data),
        }
    ), "\n";
}

emit(
    name => 'flat',
    data => { user => 'alice', visits => 3, role => 'admin', flag => '', zip => '007' },
);

emit(
    name => 'nested',
    data => {
        user  => { name => 'bob', address => { city => 'Paris', lines => [ '1 rue X', 'Bât. B' ] } },
        cart  => [ { sku => 'A1', qty => 2 }, { sku => 'B2', qty => 1, opts => [ [1], [ 2, [3] ] ] } ],
        many  => { map { ( "key$_" => $_ ) } 1 .. 20 },
        long  => [ 1 .. 40 ],
        text  => 'a string longer than thirty-one bytes, so not SHORT_BINARY',
        empty => { h => {}, a => [], s => '' },
    },
);

emit(
    name => 'unicode',
    data => {
        latin1   => "caf\x{e9} cr\x{e8}me br\x{fb}l\x{e9}e",
        wide     => "\x{263a} \x{65e5}\x{672c} \x{1F600}",
        mixed    => [ "na\x{ef}ve", "\x{3b1}\x{3b2}\x{3b3}", "plain ascii" ],
        "cl\x{e9}" => "key with a Latin-1 character",
        "\x{1F511}" => 'key outside the BMP',
        # UTF-8 bytes never decoded: to Perl, six Latin-1 characters.
        utf8_bytes => Encode::encode_utf8("Bât ☺"),
    },
);

emit(
    name => 'integers',
    data => {
        zero        => 0,
        small       => 15,
        minus_one   => -1,
        minus_16    => -16,
        minus_17    => -17,
        byte        => 255,
        u32_max     => 4294967295,
        past_2_32   => 4294967296,
        past_2_53   => 9007199254740993,
        i64_max     => 9223372036854775807,
        u64_max     => 18446744073709551615,
        past_i64    => 9223372036854775808,
        i64_min     => -9223372036854775808,
        negative_53 => -9007199254740993,
        list        => [ -300, 300, -70000, 70000, -5000000000, 5000000000 ],
    },
);

emit(
    name => 'floats',
    data => {
        half     => 1.5,
        tenth    => -0.1,
        pi       => 3.141592653589793,
        huge     => 1e300,
        tiny     => -1.5e-300,
        third    => 1 / 3,
        integral => 2.0 * 21,
        list     => [ 0.25, -1234.5678, 6.02214076e23 ],
    },
);

emit( name => 'empty', data => {} );

emit(
    name => 'undef_values',
    data => { gone => undef, list => [ undef, 1, undef ], nested => { also => undef } },
);

{
    my $shared_array = [ 1, 2, { x => 'y' } ];
    my $shared_hash  = { id => 42, tags => [ 'a', 'b' ] };
    my $scalar       = 'pointed at';
    emit(
        name => 'shared_references',
        data => {
            a      => $shared_array,
            b      => $shared_array,
            inner  => { again => $shared_array, h => $shared_hash },
            h      => $shared_hash,
            list   => [ $shared_hash, $shared_hash ],
            ref1   => \$scalar,
            ref2   => \$scalar,
            refref => \\'deep',
        },
    );
}

emit(
    name   => 'deduplicated_strings',
    sereal => { dedupe_strings => 1 },
    data   => { rows => [ map { { status => 'active', label => 'same text here', n => $_ } } 1 .. 5 ] },
);

emit(
    name   => 'aliased_strings',
    sereal => { aliased_dedupe_strings => 1 },
    data   => { rows => [ map { { status => 'pending', label => 'a repeated value', n => $_ } } 1 .. 5 ] },
);

emit(
    name => 'snappy',
    data => {
        blob  => join( ' ', ('the quick brown fox jumps over the lazy dog') x 60 ),
        items => [ map { { id => $_, name => "item number $_" } } 1 .. 100 ],
    },
);

# Older Sereal protocol versions (an application may pin one), each with
# shared data, repeated hash keys and a body that Snappy compresses.
for my $version ( 2 .. 4 ) {
    my $shared = { tags => [ 'x', 'y' ] };
    emit(
        name   => "sereal_v$version",
        sereal => { protocol_version => $version },
        data   => {
            a     => $shared,
            b     => $shared,
            rows  => [ map { { id => $_, label => "row $_" } } 1 .. 30 ],
            text  => 'lorem ipsum dolor sit amet ' x 60,
            big   => 18446744073709551615,
        },
    );
}

# Dancer::Session::Cookie does not refuse blessed references: objects.
emit(
    name   => 'objects',
    sereal => { croak_on_bless => 0 },
    data   => {
        user  => 'heidi',
        when  => bless( { epoch => 1700000000, tz => 'UTC' }, 'My::Date' ),
        items => [ bless( [ 1, 2 ], 'My::Pair' ), bless( [ 3, 4 ], 'My::Pair' ) ],
    },
);

emit(
    name        => 'old_secret',
    secret      => 'current secret',
    old_secrets => [ 'older secret', 'oldest secret' ],
    sign_with   => 'oldest secret',
    data        => { user => 'carol', since => 2019 },
);

emit(
    name    => 'future_expiry',
    expires => $now + 3600,
    data    => { user => 'dave' },
);

# Perl itself empties the data of a cookie encoded already expired; ours must
# refuse it whatever it holds.
emit(
    name     => 'expired',
    expires  => $now - 60,
    data     => { user => 'eve' },
    expected => undef,
);

emit(
    name      => 'wrong_secret',
    secret    => 'the secret the reader is given',
    sign_with => 'some other secret',
    data      => { user => 'mallory' },
    expected  => undef,
);

emit(
    name     => 'protocol_1',
    protocol => 1,
    data     => { user => 'frank', list => [ 1, 2, 3 ], unicode => "\x{263a}" },
);

# A cookie as Dancer::Session::Cookie writes it (its own encoder settings,
# session_expires, the session id).
{
    package Dancer::Test::PerlCookies;
    use Dancer ':syntax';
    set session_cookie_key => 'dancer secret';
    set session_expires    => '2 hours';
    set session            => 'cookie';
    my $session = Dancer::Session::Cookie->create;
    $session->{user}  = 'grace';
    $session->{cart}  = [ { sku => 'Z9', qty => 1 } ];
    $session->{total} = 19.99;
    my $cookie = $session->_cookie_value;
    my ($expires) = $cookie =~ /^[^~]*~(\d+)~/;
    main::emit(
        name     => 'dancer',
        secret   => 'dancer secret',
        cookie   => $cookie,
        expires  => $expires + 0,
        data     => {%$session},
    );
}
