package veil

decision := {"allow": resp.status_code == 200}

resp := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})
