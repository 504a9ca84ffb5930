<?php
// Checks wartesaal's X-Wartesaal-Admission header (a room with admission_header = true).
//
// In a booking site:
//   $visitor = wartesaal_admission($_SERVER['HTTP_X_WARTESAAL_ADMISSION'] ?? '', $key, 'impfzentrum');
// From a shell: php verify_admission.php KEY_FILE ROOM HEADER  (prints the ticket; exit 1 if refused)
// $key is the text of the room's admission_key_file (as `wartesaal keygen` writes it).

/** ['ticket' => …, 'admitted_at' => …, 'expires_at' => …] of the admitted visitor, or null. */
function wartesaal_admission(string $header, string $key, string $room): ?array {
    $dot = strrpos($header, '.');
    $signed = $dot === false ? '' : substr($header, 0, $dot);
    $p = explode('.', $signed);
    if (count($p) !== 5 || $p[0] !== 'v1' || $p[1] !== $room) return null;
    $secret = base64_decode(strtr($key, '-_', '+/'));
    $good = rtrim(strtr(base64_encode(hash_hmac('sha256', $signed, $secret, true)), '+/', '-_'), '=');
    if (!hash_equals($good, substr($header, $dot + 1)) || (int) $p[4] < time()) return null;
    return ['ticket' => (int) $p[2], 'admitted_at' => (int) $p[3], 'expires_at' => (int) $p[4]];
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__ && count($argv) === 4) {
    $found = wartesaal_admission($argv[3], trim(file_get_contents($argv[1])), $argv[2]);
    echo $found ? $found['ticket'] : 'refused', "\n";
    exit($found ? 0 : 1);
}
