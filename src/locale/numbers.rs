//! Numbers as each language writes them (CLDR's symbols): its digits, its thousands separator
//! and from how many digits it groups. Must not choose words: the `.ftl` files do.

use intl_memoizer::Memoizable;
use unic_langid::LanguageIdentifier;

/// How one language writes a whole number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Digits {
    /// The digit for zero; the other nine follow it in Unicode.
    zero: char,
    group: char,
    /// Numbers with fewer digits than this are not grouped ("1234" in Polish and Spanish,
    /// "1 234" only from five digits on).
    min_grouped: usize,
}

impl Digits {
    /// By the primary language subtag; a language CLDR does not list here groups as English.
    pub(super) fn of(language: &str) -> Digits {
        let (zero, group, min_grouped) = match language {
            "de" | "tr" | "ro" | "it" | "el" | "id" | "nl" | "da" => ('0', '.', 4),
            "es" => ('0', '.', 5),
            "pl" => ('0', '\u{a0}', 5),
            "ru" | "uk" | "bg" | "cs" | "sk" | "fi" | "sv" | "nb" | "hu" => ('0', '\u{a0}', 4),
            "fr" => ('0', '\u{202f}', 4),
            "ar" => ('\u{660}', '\u{66c}', 4),
            "fa" => ('\u{6f0}', '\u{66c}', 4),
            _ => ('0', ',', 4),
        };
        Digits {
            zero,
            group,
            min_grouped,
        }
    }

    pub(super) fn format(&self, n: u64) -> String {
        let mut out = String::with_capacity(24);
        self.write(&mut out, n);
        out
    }

    /// `n` written at the end of `out`, without a string of its own.
    pub(super) fn write(&self, out: &mut String, n: u64) {
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut rest = n;
        loop {
            at -= 1;
            buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let digits = &buf[at..];
        let grouped = digits.len() >= self.min_grouped;
        for (i, &d) in digits.iter().enumerate() {
            if grouped && i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(self.group);
            }
            out.push(self.digit(d as char));
        }
    }

    /// ASCII digits in `text` put into this language's digits.
    pub(super) fn convert(&self, text: &str) -> String {
        if self.zero == '0' {
            return text.to_string();
        }
        text.chars().map(|c| self.digit(c)).collect()
    }

    fn digit(&self, c: char) -> char {
        match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => char::from_u32(self.zero as u32 + d).unwrap_or(c),
            _ => c,
        }
    }
}

impl Memoizable for Digits {
    type Args = ();
    type Error = ();

    fn construct(lang: LanguageIdentifier, _: ()) -> Result<Self, ()> {
        Ok(Digits::of(lang.language.as_str()))
    }
}

/// Fluent's hook for writing a value: whole numbers in the bundle's language, everything else
/// as Fluent writes it.
pub(super) fn format_value(
    value: &fluent_bundle::FluentValue,
    memo: &intl_memoizer::concurrent::IntlLangMemoizer,
) -> Option<String> {
    let fluent_bundle::FluentValue::Number(n) = value else {
        return None;
    };
    if n.value < 0.0 || n.value.fract() != 0.0 || n.value > 1e15 {
        return None;
    }
    memo.with_try_get::<Digits, _, _>((), |d| d.format(n.value as u64))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn each_language_groups_its_own_way() {
        assert_eq!(Digits::of("en").format(1234567), "1,234,567");
        assert_eq!(Digits::of("de").format(1234), "1.234");
        assert_eq!(Digits::of("es").format(1234), "1234");
        assert_eq!(Digits::of("es").format(12345), "12.345");
        assert_eq!(Digits::of("pl").format(1234), "1234");
        assert_eq!(Digits::of("pl").format(12345), "12\u{a0}345");
        assert_eq!(Digits::of("ru").format(1234), "1\u{a0}234");
        assert_eq!(Digits::of("fr").format(1234), "1\u{202f}234");
        assert_eq!(Digits::of("ar").format(1234), "١٬٢٣٤");
        assert_eq!(Digits::of("fa").format(1205), "۱٬۲۰۵");
        assert_eq!(Digits::of("fa").convert("08:30"), "۰۸:۳۰");
        assert_eq!(Digits::of("de").format(999), "999");
    }
}
