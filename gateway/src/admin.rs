//! The admin listener: `/healthz`, `/readyz`, `/metrics`. Plain HTTP, meant
//! for loopback or a private network (default `127.0.0.1:9090`).

use std::convert::Infallible;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::App;
use crate::http::{self as h, Body};

/// Serves the admin endpoints until `shutdown` turns true.
pub async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = shutdown.changed() => break,
        };
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(handle(&app, request)) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

fn handle<B>(app: &App, request: Request<B>) -> Response<Body> {
    match request.uri().path() {
        "/healthz" => h::response(StatusCode::OK, "text/plain", "ok\n"),
        "/metrics" => h::response(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            app.scrape(),
        ),
        "/readyz" => {
            let (ready, report) = app.readiness();
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            h::json(status, &report)
        }
        _ => h::response(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}
