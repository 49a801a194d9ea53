//! wsalint: a fast static analyzer for Windows Sockets (Winsock) misuse in C and C++ code.
//!
//! The pipeline: `walk` finds files, `source` decodes them, `prefilter` drops files that cannot
//! match, `lang` picks a grammar, `facts` computes what rules ask about a tree, `rules` (one
//! combined `query` per language, one pass per tree) report `diagnostic`s, `engine` runs it all
//! in parallel with the project-wide phase and `suppress`ions into a `report`, and `output`
//! prints the report (printers know the report, not the engine).

pub mod baseline;
pub mod cli;
pub mod config;
pub mod custom;
pub mod diagnostic;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod flow;
pub mod lang;
pub mod node;
pub mod output;
pub mod partial;
pub mod prefilter;
pub mod progress;
pub mod project;
pub mod query;
pub mod registry;
pub mod report;
pub mod rules;
pub mod run;
pub mod selector;
pub mod server;
pub mod source;
pub mod suppress;
pub mod unused;
pub mod walk;

pub use engine::Engine;
pub use report::Report;
