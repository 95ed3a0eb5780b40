//! A therapist's live view of all their clients: one stream of every
//! change to the data of the actively linked clients, and of links made and
//! revoked.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_stream::StreamExt;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::WatchStream;
use uuid::Uuid;

use super::base::LinkChange;
use super::delivery::{Delivery, Looks};
use super::{App, Principal};
use crate::domain::{CareLink, Entity};
use crate::error::{Error, Result};
use crate::store::Side;

/// The commits of the watched clients.
type Commits = StreamMap<Uuid, WatchStream<i64>>;

/// An event of a therapist's watch.
#[derive(Debug)]
pub enum WatchEvent {
    /// A record of a client changed.
    Change(Uuid, Box<Entity>),
    /// A link was made or revoked.
    Link(CareLink),
    /// Nothing happened lately; the server's time.
    Heartbeat(i64),
}

impl App {
    /// Starts watching the caller's actively linked clients.
    pub async fn watch_clients(
        &self,
        principal: &Principal,
        heartbeat: Duration,
    ) -> Result<mpsc::Receiver<Result<WatchEvent>>> {
        principal.require_therapist("only therapists watch clients")?;
        principal.require_second_factor()?;
        // Subscribed before the links are read, so no link change is missed.
        let link_events = self.link_events.subscribe();
        let therapist = principal.account_id;
        let links = self.links_of(therapist, Side::Therapist).await?;
        // Each client's position is taken now, before the answer, so that
        // "from now on" means from the call, not from when the stream's
        // task first runs.
        let mut commits = StreamMap::new();
        let mut seen = HashMap::new();
        for link in links.into_iter().filter(|link| link.is_active()) {
            self.watch_client(link.client_id, None, &mut commits, &mut seen)?;
        }
        let caller = principal.clone();
        self.spawn_stream(principal, move |app, events| async move {
            app.follow_clients(&caller, (commits, seen), link_events, heartbeat, &events)
                .await
        })
    }

    async fn follow_clients(
        &self,
        principal: &Principal,
        (mut commits, mut seen): (Commits, HashMap<Uuid, i64>),
        mut link_events: broadcast::Receiver<LinkChange>,
        heartbeat: Duration,
        events: &mpsc::Sender<Result<WatchEvent>>,
    ) -> Result<()> {
        let mut shutdown = self.shutdown.subscribe();
        if *shutdown.borrow_and_update() {
            return Err(Error::ShuttingDown);
        }
        let mut access = self.access.subscribe();
        let mut looks = Looks::new("stepwise.v1.CareService/WatchClients");
        // Link changes noticed in the store before their link events came,
        // told already: (link, active).
        let mut told = HashSet::new();
        // Clients dropped when a delivery found their link revoked, whose
        // revocation is still to be told.
        let mut dropped = HashSet::new();
        loop {
            let event = tokio::select! {
                Some((client, _)) = commits.next() => {
                    let from = seen.get(&client).copied().unwrap_or_default();
                    let head = self.store.head(client).await?;
                    let delivery = self
                        .deliver(principal, &mut looks, client, (from, head), false, events, |entity| {
                            Ok(WatchEvent::Change(client, Box::new(entity)))
                        })
                        .await?;
                    match delivery {
                        Delivery::Done => {
                            seen.insert(client, head);
                        }
                        Delivery::ReceiverGone => return Ok(()),
                        // Revoked: its link event follows (or came already).
                        Delivery::AccessEnded => {
                            dropped.insert(client);
                            commits.remove(&client);
                            seen.remove(&client);
                            looks.forget(client);
                        }
                    }
                    continue;
                }
                link = link_events.recv() => match link {
                    Ok(change) => {
                        let following = (&mut commits, &mut seen);
                        match self.on_link_event(principal.account_id, change, following, (&mut told, &mut dropped))? {
                            Some(link) => {
                                looks.forget(link.client_id);
                                WatchEvent::Link(link)
                            }
                            None => continue,
                        }
                    }
                    // Too many link changes at once: the watcher cannot know
                    // which it missed, so the dashboard must reconnect.
                    Err(broadcast::error::RecvError::Lagged(_)) => return Err(Error::internal("link events overflowed")),
                    Err(broadcast::error::RecvError::Closed) => return Err(Error::ShuttingDown),
                },
                // A token, account or link changed: end the stream if it
                // was the caller's. Links changed through this server come
                // as link events; through another server, only this way.
                _ = access.changed() => {
                    self.still_authenticated(principal).await?;
                    // This server's own link events first: they know from
                    // which change on to deliver a new client's.
                    let mut changed = Vec::new();
                    loop {
                        let change = match link_events.try_recv() {
                            Ok(change) => change,
                            Err(broadcast::error::TryRecvError::Lagged(_)) => return Err(Error::internal("link events overflowed")),
                            Err(_) => break,
                        };
                        let following = (&mut commits, &mut seen);
                        changed.extend(self.on_link_event(principal.account_id, change, following, (&mut told, &mut dropped))?);
                    }
                    for link in self.relink(principal.account_id, (&mut commits, &mut seen), &mut dropped).await? {
                        told.insert((link.id, link.is_active()));
                        changed.push(link);
                    }
                    for link in changed {
                        looks.forget(link.client_id);
                        if events.send(Ok(WatchEvent::Link(link))).await.is_err() {
                            return Ok(());
                        }
                    }
                    continue;
                }
                () = tokio::time::sleep(heartbeat) => {
                    // An expiry passes without any change: checked here.
                    self.still_authenticated(principal).await?;
                    WatchEvent::Heartbeat(self.now_micros())
                }
                // The flag only ever turns true.
                _ = shutdown.changed() => return Err(Error::ShuttingDown),
                () = events.closed() => return Ok(()),
            };
            if events.send(Ok(event)).await.is_err() {
                return Ok(());
            }
        }
    }

    /// Follows or drops a client as this server's link event says; returns
    /// the link to tell, unless it is another therapist's or the watch
    /// told it already (noticed in the store first, see [`App::relink`]).
    fn on_link_event(
        &self,
        therapist: Uuid,
        LinkChange { link, client_head }: LinkChange,
        (commits, seen): (&mut Commits, &mut HashMap<Uuid, i64>),
        (told, dropped): (&mut HashSet<(Uuid, bool)>, &mut HashSet<Uuid>),
    ) -> Result<Option<CareLink>> {
        if told.remove(&(link.id, link.is_active())) || link.therapist_id != therapist {
            return Ok(None);
        }
        dropped.remove(&link.client_id);
        if link.is_active() {
            self.watch_client(link.client_id, Some(client_head), commits, seen)?;
        } else {
            commits.remove(&link.client_id);
            seen.remove(&link.client_id);
        }
        Ok(Some(link))
    }

    /// Brings the followed clients in line with the therapist's links as
    /// stored (changed through another server); returns the links whose
    /// change the watch has not told yet (`dropped`: clients no longer
    /// followed whose revocation was not told).
    async fn relink(
        &self,
        therapist: Uuid,
        (commits, seen): (&mut Commits, &mut HashMap<Uuid, i64>),
        dropped: &mut HashSet<Uuid>,
    ) -> Result<Vec<CareLink>> {
        let links = self.links_of(therapist, Side::Therapist).await?;
        let mut changed = Vec::new();
        let active: HashMap<Uuid, &CareLink> = links
            .iter()
            .filter(|link| link.is_active())
            .map(|link| (link.client_id, link))
            .collect();
        for (client, link) in &active {
            if !seen.contains_key(client) {
                self.watch_client(*client, None, commits, seen)?;
                changed.push((*link).clone());
            }
        }
        let ended: Vec<Uuid> = seen
            .keys()
            .chain(dropped.iter())
            .filter(|client| !active.contains_key(client))
            .copied()
            .collect();
        dropped.clear();
        for client in ended {
            commits.remove(&client);
            seen.remove(&client);
            let revoked = links
                .iter()
                .filter(|link| link.client_id == client)
                .max_by_key(|link| link.revoke_time_us);
            changed.extend(revoked.cloned());
        }
        Ok(changed)
    }

    /// Follows a client's commits, delivering those after `since`
    /// (default: from now on).
    fn watch_client(
        &self,
        client: Uuid,
        since: Option<i64>,
        commits: &mut Commits,
        seen: &mut HashMap<Uuid, i64>,
    ) -> Result<()> {
        let receiver = self.store.watch(client)?;
        let since = since.unwrap_or(*receiver.borrow());
        seen.insert(client, since);
        // Yields at once, so changes made since `since` go out without
        // waiting for the client's next commit.
        commits.insert(client, WatchStream::new(receiver));
        Ok(())
    }
}
