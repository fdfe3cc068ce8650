//! HTTPS and WSS served directly, when `--tls-cert` and `--tls-key` are given:
//! rustls with the ring provider (the one the outgoing webhooks already use).
//! The files are read again every minute: a renewed certificate is used for
//! new connections without a restart.
//! Handshakes run in their own tasks, so a client that connects and never
//! finishes its handshake holds nothing but its own task and is dropped after
//! [`HANDSHAKE_TIMEOUT`]; the server only ever sees finished TLS connections.

use axum::serve::Listener;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

/// How long a client has to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the certificate files are read again to pick up a renewal.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);

/// The server's TLS settings, with the certificate in use replaced when its
/// files change (a Let's Encrypt renewal needs no restart).
pub struct ServerTls {
    pub config: Arc<rustls::ServerConfig>,
    current: Arc<Current>,
    cert: PathBuf,
    key: PathBuf,
    /// The files' bytes last loaded, to notice a change.
    loaded: Mutex<(Vec<u8>, Vec<u8>)>,
}

/// Hands every handshake the certificate in use.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|c| Arc::clone(&c))
    }
}

/// The crypto of every TLS connection, in and out (webhook deliveries too).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A PEM certificate chain and its PEM private key, checked to match.
fn load(cert: &Path, cert_pem: &[u8], key: &Path, key_pem: &[u8]) -> Result<CertifiedKey, String> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("{}: {e}", key.display()))?;
    CertifiedKey::from_der(chain, private, &provider())
        .map_err(|e| format!("{} and {}: {e}", cert.display(), key.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl ServerTls {
    /// Reads the certificate chain and key (PEM) and builds the server's settings.
    pub fn new(cert: &Path, key: &Path) -> Result<ServerTls, String> {
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        let current = Arc::new(Current(RwLock::new(Arc::new(load(cert, &cert_pem, key, &key_pem)?))));
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&current) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            config: Arc::new(config),
            current,
            cert: cert.to_owned(),
            key: key.to_owned(),
            loaded: Mutex::new((cert_pem, key_pem)),
        })
    }

    /// Reads the files again; when they changed and hold a valid pair, new
    /// handshakes use it (`Ok(true)`). An invalid pair (a renewal half
    /// written) keeps the one in use and says why.
    pub fn reload(&self) -> Result<bool, String> {
        let (cert_pem, key_pem) = (read(&self.cert)?, read(&self.key)?);
        let mut loaded = self.loaded.lock().map_err(|_| "poisoned")?;
        if loaded.0 == cert_pem && loaded.1 == key_pem {
            return Ok(false);
        }
        let next = load(&self.cert, &cert_pem, &self.key, &key_pem)?;
        *self.current.0.write().map_err(|_| "poisoned")? = Arc::new(next);
        *loaded = (cert_pem, key_pem);
        Ok(true)
    }

    /// Calls [`ServerTls::reload`] every [`RELOAD_EVERY`] until `stop`.
    pub fn watch(self: &Arc<Self>, stop: CancellationToken) {
        let tls = Arc::clone(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(RELOAD_EVERY);
            every.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = every.tick() => {}
                }
                let t = Arc::clone(&tls);
                match tokio::task::spawn_blocking(move || t.reload()).await {
                    Ok(Ok(true)) => tracing::info!(cert = %tls.cert.display(), "TLS certificate reloaded"),
                    Ok(Ok(false)) => {}
                    Ok(Err(err)) => tracing::warn!(%err, "TLS certificate not reloaded; the one in use stays"),
                    Err(err) => tracing::warn!(%err, "TLS reload task failed"),
                }
            }
        });
    }
}

/// A listener that hands over connections once their TLS handshake is done.
pub struct TlsListener {
    done: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `tcp` until `stop`, preparing each socket with `prepare`
    /// (TCP_NODELAY, buffers) before its handshake.
    pub fn new(
        tcp: TcpListener,
        config: Arc<rustls::ServerConfig>,
        prepare: impl Fn(&TcpStream) + Send + 'static,
        stop: CancellationToken,
    ) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, done) = mpsc::channel(1024);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => return,
                    a = tcp.accept() => a,
                };
                let (stream, addr) = match accepted {
                    Ok(a) => a,
                    Err(err) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                prepare(&stream);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, addr)).await;
                        }
                        Ok(Err(err)) => tracing::debug!(%err, %addr, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { done, local })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.done.recv().await {
            Some(conn) => conn,
            // Stopped: the server's graceful shutdown ends the serve loop.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(dir: &Path, name: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap().self_signed(&key).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes(), cert.der().to_vec())
    }

    fn in_use(tls: &ServerTls) -> Vec<u8> {
        tls.current.0.read().unwrap().cert[0].to_vec()
    }

    #[test]
    fn a_renewed_certificate_replaces_the_one_in_use_and_a_broken_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let (_, _, first) = pair(dir.path(), "first.example");
        let tls = ServerTls::new(&cert, &key).unwrap();
        assert_eq!(in_use(&tls), first);
        assert_eq!(tls.reload(), Ok(false), "unchanged files: nothing to do");

        let (_, second_key, second) = pair(dir.path(), "second.example");
        assert_eq!(tls.reload(), Ok(true));
        assert_eq!(in_use(&tls), second);

        // Half a renewal: a new certificate with the old key does not match it.
        let (_, _, _) = pair(dir.path(), "third.example");
        std::fs::write(&key, &second_key).unwrap();
        let err = tls.reload().unwrap_err();
        assert!(err.contains("cert.pem"), "{err}");
        assert_eq!(in_use(&tls), second, "the valid pair stays in use");
        std::fs::write(&cert, "not a certificate").unwrap();
        assert!(tls.reload().is_err());
        assert_eq!(in_use(&tls), second);
    }

    #[test]
    fn bad_files_are_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        assert!(ServerTls::new(&cert, &key).err().unwrap().contains("cert.pem"));
        pair(dir.path(), "x.example");
        std::fs::write(&key, "nothing").unwrap();
        assert!(ServerTls::new(&cert, &key).err().unwrap().contains("key.pem"));
    }
}
