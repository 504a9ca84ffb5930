//! The languages built into the binary: one `.ftl` file each under `locales/<tag>/`, in the
//! order of the menu. Must not parse them: `load` does, once.

/// Tag and Fluent source of each shipped language; `en` is the reference every other file
/// is checked against.
pub const SHIPPED: &[(&str, &str)] = &[
    ("de", include_str!("../../locales/de/wartesaal.ftl")),
    (
        "de-x-ls",
        include_str!("../../locales/de-x-ls/wartesaal.ftl"),
    ),
    ("en", include_str!("../../locales/en/wartesaal.ftl")),
    ("tr", include_str!("../../locales/tr/wartesaal.ftl")),
    ("ar", include_str!("../../locales/ar/wartesaal.ftl")),
    ("ru", include_str!("../../locales/ru/wartesaal.ftl")),
    ("uk", include_str!("../../locales/uk/wartesaal.ftl")),
    ("pl", include_str!("../../locales/pl/wartesaal.ftl")),
    ("ro", include_str!("../../locales/ro/wartesaal.ftl")),
    ("it", include_str!("../../locales/it/wartesaal.ftl")),
    ("el", include_str!("../../locales/el/wartesaal.ftl")),
    ("fa", include_str!("../../locales/fa/wartesaal.ftl")),
    ("fr", include_str!("../../locales/fr/wartesaal.ftl")),
    ("es", include_str!("../../locales/es/wartesaal.ftl")),
];
