//! The `tandem` binary: reads configuration, wires the database, the use cases and the web
//! edge together, and runs one of its commands.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tandem_app::App;
use tandem_app::clock::SystemClock;
use tandem_app::org::people::NewPerson;
use tandem_store::Db;

#[derive(Parser)]
#[command(name = "tandem", version, about = "Tandem (双轨): OKRs set direction, KPIs hold the line.")]
struct Cli {
    /// Where the SQLite file lives when no database URL is given.
    #[arg(long, env = "TANDEM_DATA_DIR", default_value = "./tandem-data", global = true)]
    data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL, or `sqlite://…`; default: SQLite in the data directory.
    #[arg(long, env = "TANDEM_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// The key that seals connector and channel secrets: 64 hex digits (or base64 of 32 bytes).
    /// Without it, a key is made once and kept in `<data dir>/secret.key`; servers that share
    /// one database must share this key.
    #[arg(long, env = "TANDEM_SECRET_KEY", global = true, hide_env_values = true)]
    secret_key: Option<String>,
    /// The folder SQLite connectors may read from; default `<data dir>/sources`.
    #[arg(long, env = "TANDEM_SOURCES_DIR", global = true)]
    sources_dir: Option<PathBuf>,
    /// Hosts and networks (names, addresses, CIDRs; comma-separated) that connectors, webhooks
    /// and bots may reach besides the public internet, e.g. `10.20.0.0/16,erp.corp.example`.
    /// Loopback, private, link-local and reserved addresses are refused otherwise.
    #[arg(long, env = "TANDEM_OUTBOUND_ALLOW", global = true, default_value = "")]
    outbound_allow: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API (migrates the database first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Fill the demo company into the database (once), print how to sign in, optionally serve.
    Demo {
        /// Start the server after filling the demo company.
        #[arg(long)]
        serve: bool,
        #[command(flatten)]
        serve_args: ServeArgs,
    },
    /// Operator tasks: tenants, users, passwords.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Write a cycle's OKRs and KPIs as a tandem/v1 document (what the person may see).
    Export {
        #[arg(long, default_value = "demo")]
        tenant: String,
        /// Act as this person (their visibility applies).
        #[arg(long = "as")]
        as_email: String,
        #[arg(long)]
        cycle: i64,
        /// `yaml` or `json`.
        #[arg(long, default_value = "yaml")]
        format: String,
    },
    /// Read a tandem/v1 document into a cycle, all or nothing.
    Import {
        #[arg(long, default_value = "demo")]
        tenant: String,
        /// Act as this person (their rights apply).
        #[arg(long = "as")]
        as_email: String,
        #[arg(long)]
        cycle: i64,
        file: PathBuf,
    },
    /// Benchmarks: a synthetic tenant, every workload over loopback HTTP, same-run baselines.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Train the retro cause classifier on the shipped corpus outside its held-out fifth and
    /// score it on that fifth (per type precision, recall, F1; macro-F1; 主观/客观 accuracy);
    /// with sentences after `--`, classify them with the model trained on the whole corpus.
    CauseModel {
        /// Sentences to classify.
        #[arg(last = true)]
        texts: Vec<String>,
    },
    /// Check the OKRs in a YAML or JSON draft for the usual traps.
    Lint {
        /// The draft: `objectives: [{title, kind, key_results: [{title}]}]`.
        file: PathBuf,
        /// `json` (the API's shape) or `text`.
        #[arg(long, default_value = "text")]
        format: String,
        /// Language of the messages: zh or en.
        #[arg(long, env = "TANDEM_LANG", default_value = "zh")]
        lang: String,
    },
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TANDEM_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "TANDEM_SECURE_COOKIES", default_value_t = false)]
    secure_cookies: bool,
    /// Where email goes out: `smtp://host:port` (plain) or `smtps://host:port` (TLS). Without
    /// it, email notifications wait (and are retried) until it is set.
    #[arg(long, env = "TANDEM_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of Tandem's email.
    #[arg(long, env = "TANDEM_SMTP_FROM", default_value = "Tandem <tandem@localhost>")]
    smtp_from: String,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Generate a tenant of N employees on each engine, run every workload and its baseline.
    Run {
        #[arg(long, default_value_t = 2000)]
        employees: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Comma-separated: sqlite, postgres.
        #[arg(long, default_value = "sqlite,postgres")]
        engines: String,
        /// A PostgreSQL server to make a scratch database on (dropped afterwards).
        #[arg(long, env = "TANDEM_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
        pg_url: String,
        /// No workload runs longer than this many seconds.
        #[arg(long, default_value_t = 20.0)]
        max_secs: f64,
        /// Print one JSON document (progress goes to stderr).
        #[arg(long)]
        json: bool,
    },
    /// Generate a tenant of N employees into the configured database (slug `bench`).
    Generate {
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Several `tandem serve` on one scratch PostgreSQL database: concurrent check-ins on the
    /// same objectives through all of them, then through one; every server's scores compared
    /// with a from-scratch server; lost updates and weekly-notice claims counted.
    ScaleOut {
        #[arg(long, default_value_t = 2000)]
        employees: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 2)]
        servers: usize,
        /// Check-ins per phase.
        #[arg(long, default_value_t = 4000)]
        check_ins: u64,
        #[arg(long, env = "TANDEM_BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
        pg_url: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a tenant (a company) with its first admin.
    CreateTenant {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, default_value = "管理员")]
        admin_name: String,
        #[arg(long, env = "TANDEM_ADMIN_PASSWORD")]
        admin_password: String,
    },
    /// Create a user in a tenant.
    CreateUser {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, env = "TANDEM_USER_PASSWORD")]
        password: String,
        /// Comma-separated: admin, hr.
        #[arg(long, default_value = "")]
        roles: String,
    },
    /// Set a user's password and sign out their sessions.
    ResetPassword {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long, env = "TANDEM_NEW_PASSWORD")]
        password: String,
    },
}

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() {
    // Logs go to stderr: stdout is for what a command answers (JSON, YAML, tables).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("tandem: {e}");
        std::process::exit(1);
    }
}

async fn open(cli: &Cli) -> Fallible<App> {
    let url = match &cli.database_url {
        Some(u) if !u.trim().is_empty() => u.clone(),
        _ => {
            std::fs::create_dir_all(&cli.data_dir)
                .map_err(|e| format!("cannot create data directory {}: {e}", cli.data_dir.display()))?;
            format!("sqlite://{}?mode=rwc", cli.data_dir.join("tandem.db").display())
        }
    };
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let secrets = tandem_app::secrets::SecretBox::from_key_text(&secret_key(cli)?)
        .map_err(|e| format!("TANDEM_SECRET_KEY: {e}"))?;
    let sources = cli.sources_dir.clone().unwrap_or_else(|| cli.data_dir.join("sources"));
    let _ = std::fs::create_dir_all(&sources);
    let policy = tandem_app::data::connectors::SourcePolicy {
        sqlite_root: Some(sources),
        own_database: url.starts_with("postgres").then(|| url.clone()),
        own_sqlite: url.starts_with("sqlite").then(|| sqlite_file(&url)),
    };
    let outbound = tandem_app::outbound::Outbound::parse(&cli.outbound_allow)
        .map_err(|e| format!("TANDEM_OUTBOUND_ALLOW: {e}"))?;
    Ok(App::new(db, Arc::new(SystemClock)).with_connectors(Some(secrets), policy).with_outbound(outbound))
}

/// The file a `sqlite://path?options` URL names.
fn sqlite_file(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// The configured secret key, or the one kept in the data directory (made on first use).
fn secret_key(cli: &Cli) -> Fallible<String> {
    if let Some(k) = cli.secret_key.as_deref().filter(|k| !k.trim().is_empty()) {
        return Ok(k.to_string());
    }
    let path = cli.data_dir.join("secret.key");
    if let Ok(k) = std::fs::read_to_string(&path) {
        return Ok(k.trim().to_string());
    }
    std::fs::create_dir_all(&cli.data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", cli.data_dir.display()))?;
    let key = tandem_app::secrets::SecretBox::new_key_text();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(&path) {
        Ok(mut f) => {
            std::io::Write::write_all(&mut f, key.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "made a secret key for sealing credentials");
            Ok(key)
        }
        // Another process made it first.
        Err(_) => Ok(std::fs::read_to_string(&path)?.trim().to_string()),
    }
}

async fn run(cli: Cli) -> Fallible<()> {
    match &cli.command {
        Command::Bench(BenchCommand::Run { employees, seed, engines, pg_url, max_secs, json }) => {
            let mut list = vec![];
            for e in engines.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                list.push(match e {
                    "sqlite" => tandem_store::Engine::Sqlite,
                    "postgres" => tandem_store::Engine::Postgres,
                    other => return Err(format!("unknown engine {other}: sqlite or postgres").into()),
                });
            }
            let opts = tandem_bench::Options {
                employees: *employees,
                seed: *seed,
                engines: list,
                pg_url: pg_url.clone(),
                tandem_bin: std::env::current_exe()?,
                max_secs_per_workload: *max_secs,
            };
            let report = tandem_bench::run(&opts, &|m| eprintln!("bench: {m}")).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{:<22} {:<9} {:>12} {:>9} {:>9} {:>8} {:>8} {:>10} {:>9}",
                    "workload", "engine", "throughput", "p50 ms", "p99 ms", "wall s", "RSS MB", "per CPU-s", "vs base"
                );
                for w in &report.workloads {
                    let at_least = if w.baseline_capped { "≥" } else { "" };
                    let ratio = w.baseline_ratio.map(|r| format!("{at_least}{r:.1}x")).unwrap_or_else(|| "-".into());
                    println!(
                        "{:<22} {:<9} {:>12.1} {:>9.3} {:>9.3} {:>8.2} {:>8.1} {:>10.1} {:>9}",
                        w.name, w.engine, w.throughput, w.p50_ms, w.p99_ms, w.wall_s, w.peak_rss_mb, w.per_cpu_s, ratio
                    );
                    if let Some(b) = w.page_bytes {
                        println!("{:<22} {:<9} {:>12}", "", "", format!("{:.1} KB", b as f64 / 1024.0));
                    }
                }
            }
            Ok(())
        }
        Command::Bench(BenchCommand::ScaleOut { employees, seed, servers, check_ins, pg_url }) => {
            let opts = tandem_bench::scale::ScaleOptions {
                employees: *employees,
                seed: *seed,
                servers: *servers,
                check_ins: *check_ins,
                pg_url: pg_url.clone(),
                tandem_bin: std::env::current_exe()?,
            };
            let report = tandem_bench::scale::scale_out(&opts, &|m| eprintln!("bench: {m}")).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Bench(BenchCommand::Generate { employees, seed }) => {
            let app = open(&cli).await?;
            let t = std::time::Instant::now();
            let fx = tandem_bench::generate::generate(&app, "bench", *employees, *seed).await?;
            println!(
                "tenant bench: {} people, {} units, {} objectives, {} key results, {} check-ins, {} KPIs with {} values, \
                 {} metrics with {} points in {:.1} s; sign in as {} / {}",
                fx.people,
                fx.units,
                fx.objectives,
                fx.key_results.len(),
                fx.check_ins,
                fx.kpis,
                fx.kpi_values,
                fx.metrics,
                fx.points,
                t.elapsed().as_secs_f64(),
                tandem_bench::generate::CEO_EMAIL,
                tandem_bench::generate::PASSWORD
            );
            Ok(())
        }
        Command::Export { tenant, as_email, cycle, format } => {
            let app = open(&cli).await?;
            let a = app.operator_actor(tenant, as_email).await?;
            let doc = app.export_cycle(&a, *cycle).await?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print!("{}", tandem_app::exchange::document::to_yaml(&doc)?);
            }
            Ok(())
        }
        Command::Import { tenant, as_email, cycle, file } => {
            let app = open(&cli).await?;
            let a = app.operator_actor(tenant, as_email).await?;
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let doc = tandem_app::exchange::document::parse_document(&text)?;
            let s = app.import_cycle(&a, *cycle, &doc).await?;
            println!("imported {} objectives, {} key results, {} KPIs", s.objectives, s.key_results, s.kpis);
            Ok(())
        }
        Command::Lint { file, format, lang } => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let lang = tandem_domain::Lang::parse(lang).unwrap_or_default();
            let findings = tandem_app::goals::lint::lint_document(&text, lang).map_err(|e| e.message(lang))?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "findings": findings }))?);
            } else if findings.is_empty() {
                println!("{}", lang.pick("没有发现问题。", "No findings."));
            } else {
                for f in &findings {
                    println!("{}  [{}]\n  {}\n  → {}\n", f.target, f.rule, f.message, f.suggestion);
                }
            }
            Ok(())
        }
        Command::CauseModel { texts } => {
            use tandem_domain::classify::{Classifier, corpus, evaluate};
            if texts.is_empty() {
                let e = evaluate(&corpus());
                println!("trained on {} sentences, tested on {} held out", e.trained_on, e.tested_on);
                println!("{:<12} {:>9} {:>7} {:>6} {:>8}", "type", "precision", "recall", "F1", "support");
                for t in &e.per_type {
                    println!(
                        "{:<12} {:>9.3} {:>7.3} {:>6.3} {:>8}",
                        t.kind.as_str(),
                        t.precision,
                        t.recall,
                        t.f1,
                        t.support
                    );
                }
                println!("macro-F1 {:.3} · subjective/objective accuracy {:.3}", e.macro_f1, e.locus_accuracy);
                // Speed on one core: every corpus sentence through the shipped model, five times.
                let all = corpus();
                let model = Classifier::shipped();
                let started = std::time::Instant::now();
                for _ in 0..5 {
                    for l in &all {
                        std::hint::black_box(model.classify(&l.text));
                    }
                }
                let n = all.len() * 5;
                println!("{:.0} sentences/s on one core ({n} classified)", n as f64 / started.elapsed().as_secs_f64());
            } else {
                for t in texts {
                    let v = Classifier::shipped().classify(t);
                    println!(
                        "{} {} {:.2} [{}]  {t}",
                        v.kind.as_str(),
                        v.locus.as_str(),
                        v.confidence,
                        v.because.join(", ")
                    );
                }
            }
            Ok(())
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&tandem_web::openapi())?);
            Ok(())
        }
        Command::Migrate => {
            open(&cli).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve(args) => serve(open(&cli).await?, args.clone()).await,
        Command::Demo { serve: and_serve, serve_args } => {
            let app = open(&cli).await?;
            let out = app.seed_demo().await?;
            if out.created {
                println!("Demo company 云栖茶饮 created: {} people.", out.people);
            } else {
                println!("Demo company already present ({} people); nothing changed.", out.people);
            }
            println!(
                "Sign in at http://{}/login with password {}:",
                serve_args.listen,
                tandem_app::demo::company::PASSWORD
            );
            for (role, email) in [
                ("tenant admin", "admin@demo.example"),
                ("HR", "hr@demo.example"),
                ("executive (CEO)", "ceo@demo.example"),
                ("department manager (East region)", "zhao.min@demo.example"),
                ("store manager (Shanghai)", "li.na@demo.example"),
                ("member (Shanghai store)", "zhang.wei@demo.example"),
                ("member (R&D)", "lin.xiao@demo.example"),
            ] {
                println!("  {email:<26} {role}");
            }
            if *and_serve { serve(app, serve_args.clone()).await } else { Ok(()) }
        }
        Command::Admin(cmd) => {
            let app = open(&cli).await?;
            admin(&app, cmd).await
        }
    }
}

async fn admin(app: &App, cmd: &AdminCommand) -> Fallible<()> {
    match cmd {
        AdminCommand::CreateTenant { slug, name, admin_email, admin_name, admin_password } => {
            let t = app.create_tenant(slug, name).await?;
            let id = app
                .admin_create_user(
                    tandem_domain::ids::TenantId(t.id),
                    NewPerson {
                        name: admin_name.clone(),
                        email: admin_email.clone(),
                        roles: vec!["admin".into()],
                        password: Some(admin_password.clone()),
                        ..Default::default()
                    },
                )
                .await?;
            println!("tenant {} ({}) created with admin #{id} {admin_email}", t.slug, t.id);
        }
        AdminCommand::CreateUser { tenant, email, name, password, roles } => {
            let t = app.tenant_by_slug(tenant).await?;
            let roles = roles.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect();
            let id = app
                .admin_create_user(
                    tandem_domain::ids::TenantId(t.id),
                    NewPerson {
                        name: name.clone(),
                        email: email.clone(),
                        roles,
                        password: Some(password.clone()),
                        ..Default::default()
                    },
                )
                .await?;
            println!("user #{id} {email} created in {}", t.slug);
        }
        AdminCommand::ResetPassword { tenant, email, password } => {
            let t = app.tenant_by_slug(tenant).await?;
            app.reset_password(tandem_domain::ids::TenantId(t.id), email, password).await?;
            println!("password of {email} in {} reset; their sessions were signed out", t.slug);
        }
    }
    Ok(())
}

async fn serve(app: App, args: ServeArgs) -> Fallible<()> {
    let app = match args.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => app.with_mailer(tandem_app::notify::email::Mailer::new(url, &args.smtp_from)?),
        None => app,
    };
    let addr: SocketAddr = args.listen.parse().map_err(|e| format!("bad listen address {}: {e}", args.listen))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let router = tandem_web::router(tandem_web::AppState::new(app.clone(), args.secure_cookies));
    tracing::info!("Tandem listening on http://{}", listener.local_addr()?);
    // Notifications go out, and connectors run, from every server: a message is sent, and a
    // scheduled run made, only by the server that claimed it.
    let dispatcher = {
        let app = app.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = app.dispatch_due().await {
                    tracing::warn!(error = %e, "notification dispatch failed");
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        })
    };
    // A slow source must not hold up notifications: connectors (and, once a minute, the weekly
    // notices) have their own loop.
    let scheduler = {
        let app = app.clone();
        tokio::spawn(async move {
            let runner = format!("{}:{}", hostname(), std::process::id());
            let mut tick: u64 = 0;
            loop {
                if let Err(e) = app.run_due_connectors(&runner).await {
                    tracing::warn!(error = %e, "scheduled connector runs failed");
                }
                if tick.is_multiple_of(60)
                    && let Err(e) = app.send_weekly_notices().await
                {
                    tracing::warn!(error = %e, "weekly notices failed");
                }
                tick += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        })
    };
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return std::future::pending().await,
                };
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
            }
            #[cfg(not(unix))]
            let _ = ctrl_c.await;
        })
        .await?;
    dispatcher.abort();
    scheduler.abort();
    app.db.close().await;
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "tandem".into())
}
