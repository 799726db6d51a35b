//! ISO 639-1 language codes, for `cdx:ai-ml:model:languages`, which the CycloneDX
//! taxonomy defines as two-letter ISO 639-1 codes only. Model cards also say `fil`,
//! `multilingual` or `en-US`; those are kept under `modelvet:` as written.

/// Every ISO 639-1 code (184, from the ISO 639-3 tables as pycountry 26.2.16 ships them).
const ISO_639_1: [&str; 184] = [
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de",
    "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy",
    "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia",
    "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk",
    "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo",
    "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd",
    "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl",
    "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "sh", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// The ISO 639-1 code a card's language tag stands for: the tag itself, or the primary
/// subtag of a BCP 47 tag (`en-US`, `zh_Hans`), in lower case. None for anything else.
pub fn iso_639_1(tag: &str) -> Option<&'static str> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    ISO_639_1
        .binary_search(&primary.as_str())
        .ok()
        .map(|i| ISO_639_1[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_and_two_letters() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_639_1
            .iter()
            .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_lowercase())));
    }

    #[test]
    fn tags_map_to_codes_or_nothing() {
        assert_eq!(iso_639_1("en"), Some("en"));
        assert_eq!(iso_639_1("EN-us"), Some("en"));
        assert_eq!(iso_639_1("zh_Hans"), Some("zh"));
        assert_eq!(iso_639_1("fil"), None);
        assert_eq!(iso_639_1("multilingual"), None);
        assert_eq!(iso_639_1("xx"), None);
        assert_eq!(iso_639_1(""), None);
    }
}
