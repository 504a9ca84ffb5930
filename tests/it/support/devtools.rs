//! Headless Chromium driven over the DevTools protocol: one page at a time, its DOM, its
//! scripts, its viewport and screenshots. The browser tests audit pages with it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

use super::temp_dir;

/// Upper bound for one browser step; reached only when something hangs.
pub const PATIENCE: Duration = Duration::from_secs(30);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One headless Chromium with one page, spoken to over the DevTools protocol.
pub struct Browser {
    child: tokio::process::Child,
    profile: PathBuf,
    ws: Socket,
    session: String,
    next_id: u64,
    /// Events that arrived while waiting for an answer.
    events: Vec<Value>,
}

impl Browser {
    pub async fn launch(chromium: &Path) -> Browser {
        let profile = temp_dir("chromium");
        let mut child = tokio::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                // Like most of the people in the line.
                "--accept-lang=de-DE,de",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let endpoint = tokio::time::timeout(PATIENCE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("ws://") {
                    return line[at..].trim().to_string();
                }
            }
            panic!("chromium printed no DevTools address");
        })
        .await
        .expect("chromium starts in time");
        // Keep reading its log so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (ws, _) = tokio_tungstenite::connect_async(endpoint.as_str())
            .await
            .expect("DevTools connection");
        let mut browser = Browser {
            child,
            profile,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
        };
        let target = browser
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = browser
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser.call("Page.enable", json!({})).await;
        browser
    }

    /// Sends a command (to the page once attached) and returns its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).await {
            Ok(result) => result,
            Err(answer) => panic!("{method}: {answer}"),
        }
    }

    /// `call`, with the browser's error answer as an error.
    async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .unwrap();
        let answer = tokio::time::timeout(PATIENCE, async {
            loop {
                let msg = self.ws.next().await.expect("browser open").unwrap();
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["id"] == id {
                    return v;
                }
                if v.get("method").is_some() {
                    self.events.push(v);
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no answer to {method}"));
        match answer.get("error") {
            Some(_) => Err(answer),
            None => Ok(answer["result"].clone()),
        }
    }

    /// Waits for the event `method` (one that already came counts).
    async fn event(&mut self, method: &str) -> Value {
        if let Some(at) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(at);
        }
        tokio::time::timeout(PATIENCE, async {
            loop {
                let msg = self.ws.next().await.expect("browser open").unwrap();
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["method"] == method {
                    return v;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {method} event"))
    }

    pub async fn javascript(&mut self, on: bool) {
        self.call(
            "Emulation.setScriptExecutionDisabled",
            json!({ "value": !on }),
        )
        .await;
    }

    pub async fn viewport(&mut self, width: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600 }),
        )
        .await;
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&mut self, url: &str) {
        self.events.clear();
        self.call("Page.navigate", json!({ "url": url })).await;
        self.event("Page.loadEventFired").await;
    }

    /// Lets `ms` of the page's time pass at once (its timers fire, network waits are real),
    /// then lets any navigation it started finish.
    pub async fn pass_time(&mut self, ms: u64) {
        self.events.clear();
        self.call(
            "Emulation.setVirtualTimePolicy",
            json!({ "policy": "pauseIfNetworkFetchesPending", "budget": ms }),
        )
        .await;
        self.event("Emulation.virtualTimeBudgetExpired").await;
        self.call(
            "Emulation.setVirtualTimePolicy",
            json!({ "policy": "advance" }),
        )
        .await;
    }

    /// The page's markup as it is now (read through the DOM, so also without JavaScript).
    pub async fn html(&mut self) -> String {
        // A page being replaced (a reload) drops the node between the two calls: ask again.
        for _ in 0..100 {
            let doc = self.call("DOM.getDocument", json!({ "depth": 0 })).await;
            let params = json!({ "nodeId": doc["root"]["nodeId"] });
            if let Ok(html) = self.try_call("DOM.getOuterHTML", params).await {
                return html["outerHTML"].as_str().unwrap().to_string();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page never settled");
    }

    /// Evaluates an expression in the page, awaiting a promise, and returns its value.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await;
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// A PNG of the whole page.
    pub async fn screenshot(&mut self) -> Vec<u8> {
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap()
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = self.child.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The text of the element with `id` in `html`, tags removed.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find("</")?;
    Some(html[open_end..close].to_string())
}
