//! Resident set size of the server process, from `/proc/<pid>/status` (Linux).

/// `VmRSS` of process `pid` in KiB.
pub(crate) fn read_rss_kib(pid: u32) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_vm_rss_kib(&status).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no `VmRSS: <n> kB` line (a kernel thread or a zombie?)",
        )
    })
}

/// The `VmRSS:   12345 kB` line of a `/proc/<pid>/status` text.
fn parse_vm_rss_kib(status: &str) -> Option<u64> {
    let rest = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    let number = rest.trim().strip_suffix("kB")?.trim();
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_from_its_line() {
        let status = "Name:\tpaygate\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss_kib(status), Some(12_345));
        assert_eq!(parse_vm_rss_kib("Name:\tkthreadd\n"), None);
        assert_eq!(parse_vm_rss_kib("VmRSS:\t12 MB\n"), None);
    }

    #[test]
    fn own_process_has_a_resident_set() {
        let kib = read_rss_kib(std::process::id()).expect("own /proc status");
        assert!(kib > 0);
    }
}
