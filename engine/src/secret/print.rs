//! `print!`, `println!`, `eprint!` and `eprintln!` for the engine: the
//! standard ones, with every known secret redacted ([`super::redact`]).
//! Declared before every other module, they shadow the standard macros in
//! the whole crate, so nothing the engine prints can carry a secret.

macro_rules! print {
    ($($arg:tt)*) => { std::print!("{}", $crate::secret::redact(&format!($($arg)*))) };
}

macro_rules! println {
    () => { std::println!() };
    ($($arg:tt)*) => { std::println!("{}", $crate::secret::redact(&format!($($arg)*))) };
}

macro_rules! eprint {
    ($($arg:tt)*) => { std::eprint!("{}", $crate::secret::redact(&format!($($arg)*))) };
}

macro_rules! eprintln {
    () => { std::eprintln!() };
    ($($arg:tt)*) => { std::eprintln!("{}", $crate::secret::redact(&format!($($arg)*))) };
}

/// A log writer that redacts secrets (`-v` logs go through it).
pub struct RedactingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(super::redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
