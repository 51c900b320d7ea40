//! `berth attach`: local standard input, output and error joined to a service container's main
//! process, as `docker compose attach` (and `docker attach`) does. The container keeps running
//! when berth detaches (the detach keys, Ctrl-P Ctrl-Q by default); when the process ends, its
//! exit code is berth's.

use anyhow::bail;
use berth_engine::WaitUntil;
use clap::Args;

use super::Cli;
use super::context::block_on;
use super::exec::configured_detach_keys;
use super::target::{Target, daemon_error, specified_container};
use crate::interactive::Wiring;

// Arguments of `berth attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Override the key sequence for detaching from a container.
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Index of the container if the service has several replicas.
    #[arg(long, default_value_t = 0)]
    pub index: u32,
    /// Do not attach STDIN.
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    pub sig_proxy: bool,
    /// The service.
    #[arg(value_name = "SERVICE")]
    pub service: String,
}

/// Runs `berth attach`.
///
/// # Errors
/// No running container for the service, or daemon errors.
pub fn run(cli: &Cli, args: &AttachArgs) -> anyhow::Result<i32> {
    let target = Target::resolve(cli, &[])?;
    block_on(async {
        let engine = berth_engine::Engine::open_default()?;
        let container =
            specified_container(&engine, &target.name, &args.service, args.index, false).await?;
        let id = container.id().to_owned();
        let inspected = engine.inspect_container(&id).await.map_err(daemon_error)?;
        let state = inspected.state.unwrap_or_default();
        if state.running != Some(true) {
            bail!("You cannot attach to a stopped container, start it first");
        }
        if state.paused == Some(true) {
            bail!("You cannot attach to a paused container, unpause it first");
        }
        if state.restarting == Some(true) {
            bail!("You cannot attach to a restarting container, wait until it is running");
        }
        let config = inspected.config.unwrap_or_default();
        let tty = config.tty == Some(true);
        let stdin = !args.no_stdin && config.open_stdin == Some(true);
        let detach_keys = args
            .detach_keys
            .clone()
            .unwrap_or_else(configured_detach_keys);
        let exited = engine
            .wait_exit(&id, WaitUntil::NextExit)
            .await
            .map_err(daemon_error)?;
        let stream = engine
            .attach_streams(&id, stdin, false, &detach_keys)
            .await
            .map_err(daemon_error)?;
        super::run::container_session(
            &engine,
            &id,
            stream,
            Wiring { tty, stdin },
            args.sig_proxy && !tty,
            exited,
        )
        .await
    })
}
