//! A therapist's live view of all their clients: one stream of every
//! change to the data of the actively linked clients, and of links made and
//! revoked.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_stream::StreamExt;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::WatchStream;

use super::{App, BATCH, all};
use crate::auth::{Action, Principal};
use crate::domain::{CareLink, CareLinkState, Entity, Role};
use crate::error::{Error, Result};

/// An event of a therapist's watch.
#[derive(Debug)]
pub enum WatchEvent {
    /// A record of a client changed.
    Change(String, Box<Entity>),
    /// A link was made or revoked.
    Link(CareLink),
    /// Nothing happened lately.
    Heartbeat,
}

impl App {
    /// Starts watching the caller's actively linked clients.
    pub fn watch_clients(
        &self,
        principal: &Principal,
        heartbeat: Duration,
    ) -> Result<mpsc::Receiver<Result<WatchEvent>>> {
        if principal.role != Role::Therapist {
            return Err(Error::PermissionDenied("only therapists watch clients"));
        }
        // Subscribed before the links are read, so no link change is missed.
        let link_events = self.link_events.subscribe();
        let mut clients = Vec::new();
        for link in all(|t| {
            self.store
                .list_links(&principal.account_id, true, (BATCH, t))
        })? {
            if self.may(principal, Action::Read, &link.client_id)? {
                clients.push(link.client_id);
            }
        }
        let stream = self.streams.open(&principal.account_id)?;
        let (events, receiver) = mpsc::channel(64);
        let app = self.clone();
        let principal = principal.clone();
        tokio::spawn(async move {
            let _open = (stream, crate::metrics::SubscriptionGauge::open());
            let outcome = app
                .follow_clients(&principal, clients, link_events, heartbeat, &events)
                .await;
            if let Err(error) = outcome {
                let _ = events.send(Err(error)).await;
            }
        });
        Ok(receiver)
    }

    async fn follow_clients(
        &self,
        principal: &Principal,
        clients: Vec<String>,
        mut link_events: broadcast::Receiver<CareLink>,
        heartbeat: Duration,
        events: &mpsc::Sender<Result<WatchEvent>>,
    ) -> Result<()> {
        let mut commits = StreamMap::new();
        let mut seen = HashMap::new();
        for client in clients {
            self.watch_client(&client, &mut commits, &mut seen)?;
        }
        let mut shutdown = self.shutdown.subscribe();
        if *shutdown.borrow_and_update() {
            return Err(Error::ShuttingDown);
        }
        loop {
            let event = tokio::select! {
                Some((client, _)) = commits.next() => {
                    let from = seen.get(&client).copied().unwrap_or_default();
                    let head = self.store.head(&client)?;
                    let delivered = self
                        .deliver(principal, &client, (from, head), false, events, |entity| {
                            Ok(WatchEvent::Change(client.clone(), Box::new(entity)))
                        })
                        .await?;
                    if !delivered {
                        return Ok(());
                    }
                    seen.insert(client, head);
                    continue;
                }
                link = link_events.recv() => match link {
                    Ok(link) if link.therapist_id == principal.account_id => {
                        if link.state() == CareLinkState::Active {
                            self.watch_client(&link.client_id, &mut commits, &mut seen)?;
                        } else {
                            commits.remove(&link.client_id);
                            seen.remove(&link.client_id);
                        }
                        WatchEvent::Link(link)
                    }
                    Ok(_) => continue,
                    // Too many link changes at once: the watcher cannot know
                    // which it missed, so the dashboard must reconnect.
                    Err(broadcast::error::RecvError::Lagged(_)) => return Err(Error::internal("link events overflowed")),
                    Err(broadcast::error::RecvError::Closed) => return Err(Error::ShuttingDown),
                },
                () = tokio::time::sleep(heartbeat) => WatchEvent::Heartbeat,
                // The flag only ever turns true.
                _ = shutdown.changed() => return Err(Error::ShuttingDown),
                () = events.closed() => return Ok(()),
            };
            if events.send(Ok(event)).await.is_err() {
                return Ok(());
            }
        }
    }

    fn watch_client(
        &self,
        client: &str,
        commits: &mut StreamMap<String, WatchStream<i64>>,
        seen: &mut HashMap<String, i64>,
    ) -> Result<()> {
        let receiver = self.store.watch(client)?;
        seen.insert(client.to_owned(), *receiver.borrow());
        commits.insert(client.to_owned(), WatchStream::from_changes(receiver));
        Ok(())
    }
}
