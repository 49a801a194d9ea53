//! Every built-in rule, sorted by code, and selection by code or prefix.

use crate::config::Config;
use crate::rules::{self, Rule};

/// The built-in rules, one line each, sorted by code. Codes are forever.
pub static RULES: &[&dyn Rule] = &[
    &rules::wsa001_iphlpapi_load_cycle::IphlpapiLoadCycle,
    &rules::wsa002_duplicated_socket_early_close::DuplicatedSocketEarlyClose,
    &rules::wsa003_duplicatehandle_on_socket::DuplicatehandleOnSocket,
    &rules::wsa004_socket_churn_loop::SocketChurnLoop,
    &rules::wsa005_ipx_spx_socket::IpxSpxSocket,
    &rules::wsa006_unchecked_winsock_result::UncheckedWinsockResult,
    &rules::wsa007_overlapped_less_socket_timeout::OverlappedLessSocketTimeout,
    &rules::wsa101_socket_leak::SocketLeak,
    &rules::wsa102_socket_double_close::SocketDoubleClose,
    &rules::wsa103_socket_use_after_close::SocketUseAfterClose,
    &rules::wsa104_addrinfo_leak::AddrinfoLeak,
    &rules::wsa105_wsastartup_without_cleanup::WsastartupWithoutCleanup,
    &rules::wsa106_overlapped_buffer_outlives_frame::OverlappedBufferOutlivesFrame,
    &rules::wsa107_inheritable_socket_into_child::InheritableSocketIntoChild,
    &rules::wsa201_invalid_socket_comparison::InvalidSocketComparison,
    &rules::wsa202_close_on_socket::CloseOnSocket,
    &rules::wsa203_errno_for_winsock_error::ErrnoForWinsockError,
    &rules::wsa204_socket_truncation::SocketTruncation,
    &rules::wsa205_reuseaddr_port_hijack::ReuseaddrPortHijack,
    &rules::wsa206_deprecated_winsock_api::DeprecatedWinsockApi,
    &rules::wsa207_fd_setsize_after_include::FdSetsizeAfterInclude,
    &rules::wsa208_stale_wsagetlasterror::StaleWsaGetLastError,
    &rules::wsa209_posix_errno_constant_for_winsock_error::PosixErrnoConstantForWinsockError,
    &rules::wsa210_sockopt_timeout_as_timeval::SockoptTimeoutAsTimeval,
    &rules::wsa211_udp_connreset_kills_receiver::UdpConnresetKillsReceiver,
    &rules::wsa212_winsock_in_dllmain::WinsockInDllmain,
    &rules::wsa213_connect_failure_not_in_exceptfds::ConnectFailureNotInExceptfds,
    &rules::wsa214_acceptex_missing_update_context::AcceptexMissingUpdateContext,
    &rules::wsa215_inet_ntoa_buffer_reuse::InetNtoaBufferReuse,
];

/// The rule with this exact code (case-insensitive).
pub fn find(code: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}

/// Whether `code` is matched by a selector: an exact code or a prefix (`WSA1`, `WSA`), or `ALL`.
pub fn matches(selector: &str, code: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL")
        || code
            .to_ascii_uppercase()
            .starts_with(&selector.to_ascii_uppercase())
}

/// Whether a rule runs under `select` / `ignore` (the longer, more specific selector wins, as in
/// ruff: `select = ["WSA"]`, `ignore = ["WSA2"]`, `select = ["WSA201"]` runs WSA201).
pub fn is_selected(code: &str, select: &[String], ignore: &[String]) -> bool {
    let best = |list: &[String]| {
        list.iter()
            .filter(|s| matches(s, code))
            .map(|s| {
                if s.eq_ignore_ascii_case("ALL") {
                    0
                } else {
                    s.len()
                }
            })
            .max()
    };
    let selected = if select.is_empty() {
        Some(0)
    } else {
        best(select)
    };
    match (selected, best(ignore)) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(s), Some(i)) => s > i,
    }
}

/// The built-in rules the config selects.
pub fn selected(config: &Config) -> Vec<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .filter(|r| is_selected(r.meta().code, &config.select, &config.ignore))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_prefix() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_selected("WSA201", &[], &[]));
        assert!(is_selected("WSA201", &s(&["WSA2"]), &[]));
        assert!(!is_selected("WSA101", &s(&["WSA2"]), &[]));
        assert!(!is_selected("WSA201", &[], &s(&["WSA2"])));
        assert!(is_selected("WSA201", &s(&["WSA201"]), &s(&["WSA2"])));
        assert!(!is_selected("WSA202", &s(&["WSA201"]), &s(&["WSA2"])));
        assert!(is_selected("wsa001", &s(&["ALL"]), &[]));
    }
}
