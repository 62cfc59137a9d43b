#!/usr/bin/perl
# Makes cookies in the format Dancer::Session::Cookie wrote before 0.20, for
# tests/dancer_old_cookies.rs, one JSON object a line:
#   { name, cookie, secret, expected }
# The writer is Dancer::Session::Cookie 0.15's _encrypt, with the real modules:
# Crypt::CBC (Rijndael, passphrase key), String::CRC32 and Storable::freeze of
# the session object; `expected` is the session as Perl's JSON encoder prints it,
# or null when the cookie must not open.
use strict;
use warnings;
use utf8;
use Crypt::CBC ();
use JSON::PP ();
use MIME::Base64 ();
use Storable ();
use String::CRC32 ();

my $json = JSON::PP->new->utf8->canonical->allow_nonref;

sub encrypt {
    my ( $secret, $plain_text ) = @_;
    my $cipher = Crypt::CBC->new( -key => $secret, -cipher => 'Rijndael', -nodeprecate => 1 );
    my $crc32  = String::CRC32::crc32($plain_text);
    my $res    = MIME::Base64::encode( $cipher->encrypt( pack( 'La*', $crc32, $plain_text ) ), q{} );
    $res =~ tr{=+/}{_*-};
    return $res;
}

sub emit {
    my (%case) = @_;
    my $secret = $case{secret} // 'old dancer secret';
    my $session = bless { %{ $case{data} } }, 'Dancer::Session::Cookie';
    my $frozen = $case{nfreeze} ? Storable::nfreeze($session) : Storable::freeze($session);
    print $json->encode(
        {
            name     => $case{name},
            cookie   => encrypt( $case{encrypt_with} // $secret, $frozen ),
            secret   => $secret,
            expected => exists $case{expected} ? $case{expected} : { %{ $case{data} } },
        }
    ), "\n";
}

emit( name => 'flat', data => { id => '5f2a9c', user => 'grace', visits => 3 } );
emit(
    name => 'types',
    data => {
        id      => 'x1',
        big     => 1234567890123,
        neg     => -70000,
        small   => -5,
        float   => 0.25,
        list    => [ 1, 'two', undef, [ 3, { four => 4 } ] ],
        nested  => { a => { b => { c => 'deep' } } },
        latin1  => "caf\x{e9}",
        unicode => "\x{263a} \x{1F600}",
        "kl\x{fc}ssel" => 'latin-1 key',
        "\x{263a}key"  => 'utf-8 key',
        empty   => '',
        long    => 'x' x 300,
    }
);
# nfreeze writes floats as their decimal text.
emit(
    name     => 'network_order',
    nfreeze  => 1,
    data     => { user => 'ada', n => 7, f => 1.5 },
    expected => { user => 'ada', n => 7, f => '1.5' },
);
emit( name => 'old_secret', encrypt_with => 'the secret before', data => { user => 'lin' } );
emit( name => 'wrong_secret', encrypt_with => 'someone else', data => { user => 'eve' }, expected => undef );
emit(
    name     => 'nested_object',
    data     => { user => 'obj', thing => bless( { a => 1 }, 'Some::Class' ) },
    expected => undef,
);
