//! Flow-sensitive analysis inside one function: a control-flow graph built from the tree
//! ([`cfg`]) and the resource lifecycle over it ([`lifecycle`]): sockets and `addrinfo` lists
//! created, closed, escaped or failed on each path.

pub mod cfg;
pub mod lifecycle;
pub mod overlapped;
