//! Lambda: functions and the permissions that let others invoke them, and
//! the runtimes and architectures Lambda accepts.

pub mod function {
    //! `aws:lambda:Function`: a function with zip code.

    pub const TYPE: &str = "aws:lambda:Function";

    pub mod input {
        /// The absolute path of the code (a file or directory, packed into a zip).
        pub const CODE_PATH: &str = "code_path";
        /// base64 SHA-256 of the packed zip, as Lambda reports `CodeSha256`.
        pub const CODE_SHA256: &str = "code_sha256";
        /// One of [`Runtime::NAMES`](super::super::Runtime::NAMES).
        pub const RUNTIME: &str = "runtime";
        pub const HANDLER: &str = "handler";
        pub const ROLE_ARN: &str = "role_arn";
        /// Fixed name (generated from the logical name when absent).
        pub const FUNCTION_NAME: &str = "function_name";
        /// One of [`Architecture::NAMES`](super::super::Architecture::NAMES).
        pub const ARCHITECTURE: &str = "architecture";
        /// Megabytes.
        pub const MEMORY_SIZE: &str = "memory_size";
        /// Whole seconds.
        pub const TIMEOUT: &str = "timeout";
        /// Variable name → value.
        pub const ENVIRONMENT: &str = "environment";
        pub const LOG_GROUP_NAME: &str = "log_group_name";
        pub const PUBLISH: &str = "publish";
    }

    pub mod output {
        pub const FUNCTION_NAME: &str = "function_name";
        pub const ARN: &str = "arn";
        /// The URI an API Gateway Lambda integration invokes.
        pub const INVOKE_ARN: &str = "invoke_arn";
        pub const CODE_SHA256: &str = "code_sha256";
        /// `$LATEST`, or the newest published version when publishing.
        pub const VERSION: &str = "version";
    }
}

pub mod permission {
    //! `aws:lambda:Permission`: one statement of a function's resource policy.

    pub const TYPE: &str = "aws:lambda:Permission";

    pub mod input {
        /// The function's name or ARN.
        pub const FUNCTION_NAME: &str = "function_name";
        pub const PRINCIPAL: &str = "principal";
        pub const SOURCE_ARN: &str = "source_arn";
        pub const SOURCE_ACCOUNT: &str = "source_account";
        /// Default `lambda:InvokeFunction`.
        pub const ACTION: &str = "action";
        /// Generated from the grant when absent.
        pub const STATEMENT_ID: &str = "statement_id";
    }

    pub mod output {
        pub const FUNCTION_NAME: &str = "function_name";
        pub const STATEMENT_ID: &str = "statement_id";
        /// The statement as Lambda holds it.
        pub const STATEMENT: &str = "statement";
    }
}

aws_names! {
    /// A Lambda runtime that new zip functions can use (deprecated ones that
    /// can no longer be created are left out).
    pub enum Runtime {
        Nodejs18x = "nodejs18.x",
        Nodejs20x = "nodejs20.x",
        Nodejs22x = "nodejs22.x",
        Nodejs24x = "nodejs24.x",
        Python39 = "python3.9",
        Python310 = "python3.10",
        Python311 = "python3.11",
        Python312 = "python3.12",
        Python313 = "python3.13",
        Python314 = "python3.14",
        Java8Al2 = "java8.al2",
        Java11 = "java11",
        Java17 = "java17",
        Java21 = "java21",
        Java25 = "java25",
        Dotnet8 = "dotnet8",
        Dotnet10 = "dotnet10",
        Ruby32 = "ruby3.2",
        Ruby33 = "ruby3.3",
        Ruby34 = "ruby3.4",
        ProvidedAl2 = "provided.al2",
        ProvidedAl2023 = "provided.al2023",
    }
}

aws_names! {
    /// The instruction set a function runs on.
    #[derive(Default)]
    pub enum Architecture {
        /// Graviton (the default: cheaper per GB-second).
        #[default]
        Arm64 = "arm64",
        X86_64 = "x86_64",
    }
}
