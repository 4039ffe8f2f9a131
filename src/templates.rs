//! The project templates of `meridian new`. Each is one of this
//! repository's examples, so a template is compiled and tested like any
//! example and cannot rot.

use meridian_engine::cli::scaffold::{Template, TemplateFile};

/// Every template, `minimal` first (the default).
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "minimal",
        about: "one CloudWatch Logs group (examples/minimal.rs)",
        files: &[TemplateFile {
            path: "src/main.rs",
            contents: include_str!("../examples/minimal.rs"),
            rewrite: &[("--example minimal ", "")],
        }],
        config: &[("retention_days", "30")],
    },
    Template {
        name: "global_api",
        about: "the seed's multi-region serverless API (examples/global_api)",
        files: &[
            TemplateFile {
                path: "src/main.rs",
                contents: include_str!("../examples/global_api/main.rs"),
                // The handler sits beside src/ in the new crate.
                rewrite: &[
                    ("examples/global_api/handler", "handler"),
                    ("--example global_api ", ""),
                ],
            },
            TemplateFile {
                path: "src/settings.rs",
                contents: include_str!("../examples/global_api/settings.rs"),
                rewrite: &[("examples/global_api/handler", "handler")],
            },
            TemplateFile {
                path: "handler/index.mjs",
                contents: include_str!("../examples/global_api/handler/index.mjs"),
                rewrite: &[],
            },
        ],
        config: &[],
    },
];
