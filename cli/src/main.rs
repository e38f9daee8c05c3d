//! `armorlab`: check, test, format, export and load AppArmor profiles.
//!
//! Every subcommand runs the same core as the playground, so a verdict seen in the browser
//! is the verdict CI and the host get.

mod commands;
mod engine;
mod fsprovider;
mod report;
mod system;
mod templates;

use clap::{Args, Parser, Subcommand, ValueEnum};
use report::{CliError, ColorChoice, Style, EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS};
use std::path::PathBuf;
use std::process::ExitCode;

/// Check, test, format, export and load AppArmor profiles.
#[derive(Debug, Parser)]
#[command(
    name = "armorlab",
    version,
    about = "Check, test, format, export and load AppArmor profiles",
    after_help = concat!("Examples:
  armorlab check docker-default
  armorlab test docker-default 'w /proc/sysrq-trigger' 'w /proc/sys/kernel/core_pattern'
  armorlab export docker-default --to kubernetes
  sudo armorlab load docker-default

", "Exit status:
  0  success
  1  the check found problems (invalid profile, failed expectation, lossy export,
     profile rejected or not loaded)
  2  usage error, unreadable input, I/O error, or the host cannot do it (not root,
     AppArmor disabled, apparmor_parser missing)")
)]
pub struct Cli {
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

/// Include search directories, like `apparmor_parser -I` and `-b`.
#[derive(Debug, Clone, Args)]
pub struct IncludeArgs {
    /// Search DIR for `#include <...>` files before the base directory (repeatable, in
    /// order).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// The base directory, searched after every -I DIR, as apparmor_parser does.
    #[arg(
        short = 'b',
        long = "base",
        value_name = "DIR",
        default_value = DEFAULT_BASE
    )]
    pub base: PathBuf,
}

/// apparmor_parser's default base directory.
pub const DEFAULT_BASE: &str = "/etc/apparmor.d";

impl IncludeArgs {
    /// The include search path in order: each `-I` directory, then the base directory
    /// (apparmor_parser always searches its base, whatever `-I` adds).
    pub fn search_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = self.include.clone();
        if !dirs.contains(&self.base) {
            dirs.push(self.base.clone());
        }
        dirs
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Readable text.
    #[default]
    Human,
    /// One JSON object per line (JSON Lines).
    Json,
}

/// Export target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTo {
    /// A self-contained profile text.
    Profile,
    /// A `docker run --security-opt apparmor=NAME` line.
    Docker,
    /// A Kubernetes pod with `securityContext.appArmorProfile` (type Localhost).
    Kubernetes,
    /// A Security Profiles Operator `AppArmorProfile` resource.
    Spo,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and resolve profiles; report every problem with its location
    #[command(after_help = concat!("Examples:
  armorlab check /etc/apparmor.d/usr.sbin.nginx
  armorlab check -I ./includes -I /etc/apparmor.d my-profile
  armorlab check --format json profiles/*
  armorlab check /etc/apparmor.d

Exits 0 when every file is valid (warnings allowed), 1 when any has an error.

", "Exit status: 0 ok, 1 problems found, 2 usage or I/O error"))]
    Check {
        #[command(flatten)]
        inc: IncludeArgs,
        /// Output format for diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Profile files to check (`-` for stdin); a directory checks the profile files
        /// directly in it, as apparmor_parser loads them.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Decide accesses under a profile and show the deciding rules
    #[command(after_help = concat!("Query syntax (one per argument, or one per line in --queries FILE):
  PERMS PATH                 w /proc/sysrq-trigger
                             rw /etc/passwd
                             x /usr/bin/ls
  other PERMS PATH           other w /tmp/x
                             (the process does not own the file; default: it does)
  l LINK -> TARGET           l /tmp/link -> /etc/shadow
  capability NAME            capability sys_admin
  network DOMAIN [TYPE]      network inet stream
  signal ACCESS peer=LABEL   signal send set=kill peer=unconfined
  ptrace ACCESS peer=LABEL   ptrace read peer=unconfined
  mount SOURCE -> DIR        mount fstype=ext4 /dev/sda1 -> /mnt
  remount DIR                remount options=ro /mnt
  umount DIR                 umount /mnt
  pivot_root NEWROOT         pivot_root oldroot=/mnt/old/ /mnt/
  unix ACCESS [type=T]       unix connect type=stream addr=@foo
  dbus ACCESS [bus=B] ...    dbus send bus=system path=/org/freedesktop/DBus
  change_profile -> NAME     change_profile -> unconfined
  userns create              userns create
  io_uring ACCESS            io_uring sqpoll
  mqueue ACCESS NAME         mqueue open /myqueue
  rlimit RESOURCE VALUE      rlimit nofile 1024
A query may start with `expect allow` or `expect deny`; any mismatch makes the command
exit 1, so a file of expectations is a profile test suite for CI. In a --queries file,
blank lines are skipped and `#` after whitespace starts a comment. Paths are absolute
and resolved, as the kernel sees them (no `//`, `.` or `..`).

Examples:
  armorlab test docker-default 'w /proc/sysrq-trigger'
  armorlab test docker-default --format json 'r /etc/shadow' 'capability sys_admin'
  armorlab test docker-default --queries docker-default.tests

", "Exit status: 0 ok, 1 profile invalid or an expectation failed, 2 usage or I/O error"))]
    Test {
        #[command(flatten)]
        inc: IncludeArgs,
        /// The profile file (`-` for stdin).
        #[arg(value_name = "PROFILE_FILE")]
        file: PathBuf,
        /// Which profile of the file (needed when it defines several).
        #[arg(long, short = 'p', value_name = "NAME")]
        profile: Option<String>,
        /// Read queries from FILE, one per line (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        queries: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Queries, e.g. `w /proc/sysrq-trigger` or `expect deny w /proc/sysrq-trigger`.
        #[arg(value_name = "QUERY")]
        query: Vec<String>,
    },
    /// Format profiles canonically
    #[command(after_help = concat!("Examples:
  armorlab fmt my-profile              rewrite the file in place
  armorlab fmt --check profiles/*      list unformatted files, show the changes, exit 1
  armorlab fmt - < my-profile          format stdin to stdout

", "Exit status: 0 ok, 1 not formatted (--check) or a file has errors, 2 usage or I/O error"))]
    Fmt {
        /// Only report files that are not formatted; change nothing.
        #[arg(long)]
        check: bool,
        /// Files to format (`-` for stdin to stdout).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Export a profile for other hosts and orchestrators
    #[command(after_help = concat!("Targets:
  profile      the profile text (includes kept, or expanded with --inline)
  docker       the `docker run --security-opt apparmor=NAME` line
  kubernetes   a pod with securityContext.appArmorProfile {type: Localhost}
  spo          a Security Profiles Operator AppArmorProfile (spec.abstract); rules the
               operator cannot express are listed on stderr and make the export fail
               unless --allow-lossy

Examples:
  armorlab export docker-default --to profile --inline > docker-default.full
  armorlab export docker-default --to docker --image nginx
  armorlab export my-profile --to spo --allow-lossy > my-profile.yaml

", "Exit status: 0 ok, 1 invalid profile or lossy export, 2 usage or I/O error"))]
    Export {
        #[command(flatten)]
        inc: IncludeArgs,
        /// The profile file.
        #[arg(value_name = "PROFILE_FILE")]
        file: PathBuf,
        /// What to produce.
        #[arg(long, value_enum)]
        to: ExportTo,
        /// Which profile of the file (needed when it defines several).
        #[arg(long, short = 'p', value_name = "NAME")]
        profile: Option<String>,
        /// Expand includes in place (for `--to profile`).
        #[arg(long)]
        inline: bool,
        /// Export to the operator even when some rules cannot be expressed.
        #[arg(long)]
        allow_lossy: bool,
        /// Container image for the docker and kubernetes examples.
        #[arg(long, default_value = "IMAGE")]
        image: String,
    },
    /// Turn a playground share link into a profile file
    #[command(after_help = concat!("Examples:
  armorlab import 'https://armorlab.example/#s=...' > my-profile
  armorlab import link.txt -o my-profile --queries-out my-profile.tests
  xclip -o | armorlab import - -o my-profile

", "Exit status: 0 ok, 2 unreadable or invalid link, or I/O error"))]
    Import {
        /// A share URL (or its fragment), or a file containing one (`-` for stdin).
        #[arg(value_name = "URL|FILE")]
        source: String,
        /// Write the profile to FILE instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also write the link's saved queries to FILE (a --queries file for `test`).
        #[arg(long, value_name = "FILE")]
        queries_out: Option<PathBuf>,
        /// Also write the link's edited include files under DIR.
        #[arg(long, value_name = "DIR")]
        includes_out: Option<PathBuf>,
    },
    /// Validate, install and load a profile into the kernel (needs root)
    #[command(after_help = concat!("What it does, in order (stopping at the first failure):
  1. analyze the file with armorlab's core; refuse it on any error
  2. refuse it when it defines profiles other than those named with --profile or
     defined by the file it replaces (not by itself when it is edited in place in
     DIR), or a profile another file in DIR defines (--force overrides)
  3. write DIR/NAME (a file already in DIR keeps its name) atomically (temp file,
     fsync, rename); the replaced version is kept as DIR/.NAME.armorlab-previous
  4. run `apparmor_parser -r` (with -C for --complain) and verify in
     /sys/kernel/security/apparmor/profiles that each profile is loaded in the mode
     asked for
  5. on failure, put the previous file back and reload it

Examples:
  sudo armorlab load docker-default
  sudo armorlab load --complain my-profile
  armorlab load --dry-run my-profile

", "Exit status: 0 loaded, 1 invalid, refused or rejected by the kernel's parser,
2 usage, I/O or host error (not root, AppArmor disabled, apparmor_parser missing)"))]
    Load {
        #[command(flatten)]
        inc: IncludeArgs,
        #[command(flatten)]
        host: HostArgs,
        /// The profile file.
        #[arg(value_name = "PROFILE_FILE")]
        file: PathBuf,
        /// Load in complain mode (log, do not deny).
        #[arg(long)]
        complain: bool,
        /// Validate and show what would happen; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Profile directory to install into.
        #[arg(long, value_name = "DIR", default_value = "/etc/apparmor.d")]
        dir: PathBuf,
        /// File name inside DIR (default: the file's own name when it is already in DIR,
        /// else the profile's name with `/` turned into `.`).
        #[arg(long = "as", value_name = "FILENAME")]
        install_as: Option<String>,
        /// Profiles the file may define (repeatable).
        #[arg(long, short = 'p', value_name = "NAME")]
        profile: Vec<String>,
        /// Load even when the file defines profiles not asked for.
        #[arg(long)]
        force: bool,
    },
    /// Remove a profile from the kernel (needs root)
    #[command(after_help = concat!("The file in DIR that defines the profile is moved aside to DIR/.NAME.armorlab-previous
so it is not loaded again at boot (keep it with --keep-file).

Examples:
  sudo armorlab unload docker-default

", "Exit status: 0 unloaded, 1 not loaded, 2 usage, I/O or host error"))]
    Unload {
        #[command(flatten)]
        host: HostArgs,
        /// The profile name.
        #[arg(value_name = "NAME")]
        name: String,
        /// Profile directory.
        #[arg(long, value_name = "DIR", default_value = "/etc/apparmor.d")]
        dir: PathBuf,
        /// Leave the profile's file in DIR.
        #[arg(long)]
        keep_file: bool,
    },
    /// Show loaded profiles and which processes they confine
    #[command(after_help = concat!("Lists the loaded profiles with their modes, the confined processes, and the
processes of containers (Docker, containerd, CRI-O, Podman, Kubernetes; found by their
cgroup) that run unconfined, e.g. because their profile never loaded.

Examples:
  sudo armorlab status
  sudo armorlab status --format json | jq '.processes[] | select(.mode == \"unconfined\")'

", "Exit status: 0 ok, 2 AppArmor disabled or its state unreadable"))]
    Status {
        #[command(flatten)]
        host: HostArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// Where the host's AppArmor lives; hidden, for tests against fake roots. Each also reads
/// an environment variable.
#[derive(Debug, Clone, Args)]
pub struct HostArgs {
    /// sysfs mount point.
    #[arg(long, hide = true, env = "ARMORLAB_SYSFS", default_value = "/sys")]
    pub sysfs: PathBuf,
    /// procfs mount point.
    #[arg(long, hide = true, env = "ARMORLAB_PROCFS", default_value = "/proc")]
    pub procfs: PathBuf,
    /// The apparmor_parser binary (default: searched in PATH, /sbin, /usr/sbin).
    #[arg(long, hide = true, env = "ARMORLAB_APPARMOR_PARSER")]
    pub parser: Option<PathBuf>,
    /// Pretend to run as this effective uid (tests of the not-root error).
    #[arg(long, hide = true, env = "ARMORLAB_EUID")]
    pub euid: Option<u32>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            // `--help` and `--version` go to stdout; a closed pipe there is fine.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let err_style = Style::stderr(cli.color);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::from(EXIT_OK)
        }
        Err(CliError::Problems(msg)) => {
            if !msg.is_empty() {
                report::print_error(err_style, &msg, None);
            }
            ExitCode::from(EXIT_PROBLEMS)
        }
        Err(CliError::Fatal { message, help }) => {
            report::print_error(err_style, &message, help.as_deref());
            ExitCode::from(EXIT_ERROR)
        }
        Err(e @ CliError::Output(_)) => {
            report::print_error(err_style, &e.to_string(), None);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    let color = cli.color;
    match cli.command {
        Command::Check { inc, format, files } => commands::check(color, &inc, format, &files),
        Command::Test {
            inc,
            file,
            profile,
            queries,
            format,
            query,
        } => commands::test(
            color,
            &inc,
            &file,
            profile.as_deref(),
            queries.as_deref(),
            format,
            &query,
        ),
        Command::Fmt { check, files } => commands::fmt(color, check, &files),
        Command::Export {
            inc,
            file,
            to,
            profile,
            inline,
            allow_lossy,
            image,
        } => commands::export(
            color,
            &inc,
            &file,
            to,
            profile.as_deref(),
            inline,
            allow_lossy,
            &image,
        ),
        Command::Import {
            source,
            output,
            queries_out,
            includes_out,
        } => commands::import(
            &source,
            output.as_deref(),
            queries_out.as_deref(),
            includes_out.as_deref(),
        ),
        Command::Load {
            inc,
            host,
            file,
            complain,
            dry_run,
            dir,
            install_as,
            profile,
            force,
        } => system::load(
            color,
            &system::LoadOptions {
                inc,
                host,
                file,
                complain,
                dry_run,
                dir,
                install_as,
                profiles: profile,
                force,
            },
        ),
        Command::Unload {
            host,
            name,
            dir,
            keep_file,
        } => system::unload(color, &host, &name, &dir, keep_file),
        Command::Status { host, format } => system::status(color, &host, format),
    }
}
