//! Secrets for `paygate isp`: from the environment (scripts and tests) or typed at the
//! terminal without echo. Never printed, never logged.

use std::io::{BufRead, Write};

use zeroize::Zeroizing;

/// Env var of the card number.
pub const ENV_CARD_NUMBER: &str = "PAYGATE_ISP_CARD_NUMBER";
/// Env var of the expiry, `MM/YY`.
pub const ENV_CARD_EXPIRY: &str = "PAYGATE_ISP_CARD_EXPIRY";
/// Env var of the CVC.
pub const ENV_CARD_CVC: &str = "PAYGATE_ISP_CARD_CVC";
/// Env var of the ISP password.
pub const ENV_PASSWORD: &str = "PAYGATE_ISP_PASSWORD";

/// The value of `env`, else the answer to `label` typed at the terminal (without echo when
/// `hidden`).
pub fn secret(env: &str, label: &str, hidden: bool) -> Result<Zeroizing<String>, String> {
    if let Ok(v) = std::env::var(env) {
        return Ok(Zeroizing::new(v));
    }
    read_terminal(label, hidden).map_err(|e| format!("{label}: {e} (or set {env})"))
}

fn read_terminal(label: &str, hidden: bool) -> std::io::Result<Zeroizing<String>> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    write!(tty, "{label}: ")?;
    tty.flush()?;
    let guard = if hidden { EchoOff::new(&tty) } else { None };
    let mut line = Zeroizing::new(String::new());
    std::io::BufReader::new(&tty).read_line(&mut line)?;
    drop(guard);
    if hidden {
        writeln!(tty)?;
    }
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok(Zeroizing::new(trimmed))
}

/// Turns terminal echo off until dropped.
struct EchoOff<'a> {
    #[cfg(unix)]
    tty: &'a std::fs::File,
    #[cfg(unix)]
    saved: rustix::termios::Termios,
    #[cfg(not(unix))]
    _tty: std::marker::PhantomData<&'a ()>,
}

impl<'a> EchoOff<'a> {
    #[cfg(unix)]
    fn new(tty: &'a std::fs::File) -> Option<EchoOff<'a>> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let saved = tcgetattr(tty).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(tty, OptionalActions::Now, &quiet).ok()?;
        Some(EchoOff { tty, saved })
    }

    #[cfg(not(unix))]
    fn new(_tty: &'a std::fs::File) -> Option<EchoOff<'a>> {
        None
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let _ = rustix::termios::tcsetattr(
                self.tty,
                rustix::termios::OptionalActions::Now,
                &self.saved,
            );
        }
    }
}

/// Parses `MM/YY` (or `MM/YYYY`) into month and four-digit year.
pub fn parse_expiry(s: &str) -> Result<(u8, u16), String> {
    let rule = || format!("{ENV_CARD_EXPIRY}: expiry must be MM/YY");
    let (mm, yy) = s.trim().split_once('/').ok_or_else(rule)?;
    let month: u8 = mm.trim().parse().map_err(|_| rule())?;
    let year: u16 = yy.trim().parse().map_err(|_| rule())?;
    let year = match yy.trim().len() {
        2 => 2000 + year,
        4 => year,
        _ => return Err(rule()),
    };
    if !(1..=12).contains(&month) {
        return Err(format!("{ENV_CARD_EXPIRY}: month must be 01 to 12"));
    }
    Ok((month, year))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        assert_eq!(parse_expiry("12/34").unwrap(), (12, 2034));
        assert_eq!(parse_expiry("01/2030").unwrap(), (1, 2030));
        assert!(parse_expiry("13/30").is_err());
        assert!(parse_expiry("1230").is_err());
        assert!(parse_expiry("12/3").is_err());
    }
}
