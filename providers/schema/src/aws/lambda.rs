//! Lambda: functions and the permissions that let others invoke them, and
//! the runtimes and architectures Lambda accepts.

resource_type! {
    /// `aws:lambda:Function`: a function with zip code. `code_path` is the
    /// absolute path of the packed file or directory and `code_sha256` the
    /// zip's base64 SHA-256 (as Lambda reports `CodeSha256`); `runtime` is
    /// one of [`Runtime::NAMES`](Runtime::NAMES), `architecture` one
    /// of [`Architecture::NAMES`](Architecture::NAMES); `memory_size`
    /// in MB, `timeout` in whole seconds, `environment` a map of variables.
    /// Without `function_name` the name is generated from the logical name.
    /// Outputs: `invoke_arn` is what an API Gateway Lambda integration
    /// invokes; `version` is `$LATEST`, or the newest published version.
    pub mod function = "aws:lambda:Function" {
        input {
            CODE_PATH, CODE_SHA256, RUNTIME,
            HANDLER, ROLE_ARN, FUNCTION_NAME,
            ARCHITECTURE, MEMORY_SIZE, TIMEOUT,
            ENVIRONMENT, LOG_GROUP_NAME, PUBLISH,
        }
        output { FUNCTION_NAME, ARN, INVOKE_ARN, CODE_SHA256, VERSION }
    }
}

resource_type! {
    /// `aws:lambda:Permission`: one statement of a function's resource
    /// policy. `function_name` is the function's name or ARN; `action`
    /// defaults to `lambda:InvokeFunction`, `statement_id` to one generated
    /// from the grant. The `statement` output is the statement as Lambda
    /// holds it.
    pub mod permission = "aws:lambda:Permission" {
        input { FUNCTION_NAME, PRINCIPAL, SOURCE_ARN, SOURCE_ACCOUNT, ACTION, STATEMENT_ID }
        output { FUNCTION_NAME, STATEMENT_ID, STATEMENT }
    }
}

aws_names! {
    /// A Lambda runtime that new zip functions can use (deprecated ones that
    /// can no longer be created are left out).
    pub enum Runtime {
        Nodejs18x = "nodejs18.x", Nodejs20x = "nodejs20.x", Nodejs22x = "nodejs22.x",
        Nodejs24x = "nodejs24.x",
        Python39 = "python3.9", Python310 = "python3.10", Python311 = "python3.11",
        Python312 = "python3.12", Python313 = "python3.13", Python314 = "python3.14",
        Java8Al2 = "java8.al2", Java11 = "java11", Java17 = "java17", Java21 = "java21",
        Java25 = "java25",
        Dotnet8 = "dotnet8", Dotnet10 = "dotnet10",
        Ruby32 = "ruby3.2", Ruby33 = "ruby3.3", Ruby34 = "ruby3.4",
        ProvidedAl2 = "provided.al2", ProvidedAl2023 = "provided.al2023",
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
