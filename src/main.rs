//! `keycard`: parse the command line, load settings, run the command. Any failure is
//! one line on stderr and a non-zero exit, never a panic or a backtrace.

use std::process::ExitCode;

use clap::Parser;
use keycard::cli::{Cli, Command, KeyAlgorithm};
use keycard::{commands, settings, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let text = format!("{error:#}");
            eprintln!("error: {}", keycard::db::first_line(&text));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    if let Command::GenSecret = command {
        println!("{}", settings::random_secret());
        return Ok(());
    }
    if let Command::GenKey { alg } = command {
        let algorithm = match alg {
            KeyAlgorithm::Es256 => settings::JwtAlgorithm::ES256,
            KeyAlgorithm::EdDsa => settings::JwtAlgorithm::EdDSA,
        };
        // The PEM and nothing else, so that `keycard gen-key ... > key.pem` is the key.
        print!("{}", commands::gen_key(algorithm)?);
        return Ok(());
    }
    let loaded = settings::load_from_process()?;
    let (settings, warnings) = settings::finalize(loaded).map_err(anyhow::Error::msg)?;
    let quiet = !matches!(command, Command::Serve);
    telemetry::init(if quiet { "warn" } else { &settings.log.level });
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    match command {
        Command::Serve => actix_web::rt::System::new().block_on(commands::serve(settings)),
        Command::Migrate => {
            let applied = commands::migrate(&settings)?;
            println!("applied {} migration(s)", applied.len());
            Ok(())
        }
        Command::CreateAdmin { username } => {
            println!("{}", commands::create_admin(&settings, &username)?);
            Ok(())
        }
        Command::ResetLink { username } => {
            println!("{}", commands::reset_link(&settings, &username)?);
            Ok(())
        }
        Command::Reseal => {
            println!("{}", commands::reseal(&settings)?);
            Ok(())
        }
        Command::CheckConfig => {
            println!("{}", commands::check_config(&settings)?);
            Ok(())
        }
        Command::GenSecret | Command::GenKey { .. } => Ok(()),
    }
}
