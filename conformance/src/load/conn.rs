//! One HTTP/1.1 connection over mTLS: TCP, then rustls, then hyper's
//! client connection, each failure classified for the report.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::RequestError;

/// Opens connections to one server.
#[derive(Clone)]
pub(crate) struct Connector {
    addr: SocketAddr,
    name: ServerName<'static>,
    tls: TlsConnector,
}

/// An open connection, ready for requests one at a time.
pub(crate) struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
}

// === impl Connector ===

impl Connector {
    /// Connections to `addr`, verifying the server as `name`.
    pub(crate) fn new(
        addr: SocketAddr,
        name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    ) -> Connector {
        Connector {
            addr,
            name,
            tls: TlsConnector::from(tls),
        }
    }

    /// Opens one: TCP, the full TLS handshake (or a resumed one, if the
    /// configuration allows it), and the HTTP/1.1 client handshake.
    pub(crate) async fn connect(&self) -> Result<Conn, RequestError> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|_| RequestError::Connect)?;
        // Requests are small and answered at once: do not let Nagle hold
        // the last segment back.
        let _ = tcp.set_nodelay(true);
        let tls = self
            .tls
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|e| RequestError::from_handshake(&e))?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| RequestError::from_hyper(&e))?;
        tokio::spawn(async move {
            // Ends when the server closes or the sender is dropped; its
            // errors surface on the sender.
            let _ = connection.await;
        });
        Ok(Conn { sender })
    }
}

// === impl Conn ===

impl Conn {
    /// Waits until the connection can take a request; `false` if it has
    /// closed (the server ended the keep-alive session).
    pub(crate) async fn ready(&mut self) -> bool {
        !self.sender.is_closed() && self.sender.ready().await.is_ok()
    }

    /// Sends one request and returns the answer's head (the body is
    /// still to be read).
    pub(crate) async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, RequestError> {
        self.sender
            .send_request(request)
            .await
            .map_err(|e| RequestError::from_hyper(&e))
    }
}
