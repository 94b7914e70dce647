//! Operating-system errors as sentences a rep can act on: never "(os error 6)".

use std::io;

/// A sentence for an I/O error, without the OS error number.
pub fn io_sentence(err: &io::Error) -> String {
    use io::ErrorKind as K;
    match err.kind() {
        K::NotFound => "the file or socket is not there (is the server running?)".to_string(),
        K::ConnectionRefused => "the server refused the connection (is it running?)".to_string(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            "the connection was closed by the server".to_string()
        }
        K::PermissionDenied => "permission denied".to_string(),
        K::TimedOut => "it did not answer in time".to_string(),
        _ if err.raw_os_error() == Some(6) => {
            "there is no terminal (run this command in a terminal window)".to_string()
        }
        _ => strip_os_numbers(&err.to_string()),
    }
}

/// Removes every ` (os error N)` from a message.
pub fn strip_os_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" (os error ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + " (os error ".len()..];
        match tail.find(')') {
            Some(end) if tail[..end].chars().all(|c| c.is_ascii_digit()) => {
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str(" (os error ");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether standard input and output are a terminal (the TUI needs both).
pub fn has_terminal() -> bool {
    use std::io::IsTerminal;
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// The error of an interactive command started without a terminal.
pub fn needs_terminal(command: &str) -> String {
    format!(
        "`{command}` is interactive and needs a terminal: run it in a terminal window \
         (standard input and output are not a terminal here)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_os_error_numbers() {
        assert_eq!(
            strip_os_numbers("Cannot reach: No such file or directory (os error 2)"),
            "Cannot reach: No such file or directory"
        );
        assert_eq!(strip_os_numbers("a (os error x)"), "a (os error x)");
        let enxio = io::Error::from_raw_os_error(6);
        assert!(!io_sentence(&enxio).contains("os error"));
        let gone = io::Error::from_raw_os_error(2);
        assert_eq!(
            io_sentence(&gone),
            "the file or socket is not there (is the server running?)"
        );
    }
}
