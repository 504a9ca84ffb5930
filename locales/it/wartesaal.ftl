# wartesaal in italiano. I messaggi e le loro variabili sono gli stessi di
# locales/en/wartesaal.ftl.

language-name = Italiano
language-menu = Lingua

## La pagina d'attesa

waiting-title = Lei è in coda
your-number = Il Suo posto in coda
ahead = { $count ->
    [0] Lei è il prossimo.
    [one] Davanti a Lei c'è ancora { $count } persona.
   *[other] Davanti a Lei ci sono ancora { $count } persone.
}
estimate = Attesa stimata: { $wait }.
keep-open = Per favore tenga aperta questa pagina. Non serve ricaricarla: si aggiorna da sola.
your-turn = Quando sarà il Suo turno, verrà portato automaticamente al sito di prenotazione. Il Suo posto resta valido anche se ricarica la pagina.
admitted = È il Suo turno. Caricamento della pagina …
updated = Ultimo aggiornamento alle
refreshes = Non serve ricaricare la pagina: si aggiorna da sola.

## Quando non entra nessuno

paused-title = L'accesso è sospeso per il momento
paused-body = Il Suo posto in coda resta valido. Quando l'accesso riprende, avanzerà automaticamente. Per favore tenga aperta questa pagina.
held-title = L'accesso si è fermato per un momento
held-body = Il Suo posto resta valido e nessuno La supera. Si riparte a breve; la pagina controlla da sola. Per favore la tenga aperta.
closed-title = Al momento non ci sono appuntamenti liberi
closed-body = Tutti gli appuntamenti disponibili sono stati assegnati. Adesso non ha senso aspettare. Se verranno resi disponibili nuovi appuntamenti, lo vedrà su questa pagina.
sold-out-title = Tutti gli appuntamenti sono esauriti
sold-out-body = Al momento non c'è nessun appuntamento libero. Adesso non ha senso aspettare.
last-title = Si stanno prenotando gli ultimi appuntamenti
last-body = Le persone che sono ora sul sito di prenotazione stanno prenotando gli ultimi appuntamenti. Se ne resta uno, il prossimo turno è il Suo. Lo saprà entro pochi minuti su questa pagina. Il Suo posto è mantenuto.

## Prima dell'apertura

before-title = Le prenotazioni non sono ancora aperte
opens-on = Apertura delle prenotazioni: { $when }.
prequeue-invite = Dalle { $from } può mettersi in coda qui. Tutti quelli che sono qui entro le { $open } ricevono un posto in ordine casuale: arrivare presto o poco prima delle { $open } non fa differenza.
prequeue-title = Lei è nella coda preliminare
prequeue-body = Le prenotazioni aprono alle { $open }. Allora tutti quelli che sono qui ricevono un posto in ordine casuale. Arrivare prima non dà alcun vantaggio. Per favore tenga aperta questa pagina: alle { $open } Le mostrerà il Suo posto.
prequeue-size = { $count ->
    [one] Già qui: { $count } persona
   *[other] Già qui: { $count } persone
}
opens-in = Mancano all'apertura: { $wait }.

## Il piccolo enigma contro i programmi automatici

pow-title = Un momento, per favore
pow-working = Il Suo browser sta risolvendo un piccolo enigma che tiene lontani i programmi automatici. Di solito bastano pochi secondi; poi riceverà il Suo posto in coda. Per favore tenga aperta questa pagina.
pow-needs-script = Questa coda richiede JavaScript: finché l'affluenza è alta, controlla ogni nuovo visitatore con un piccolo enigma nel browser. Per favore attivi JavaScript e ricarichi la pagina.

## Sovraccarico e limite

busy-title = Il sito di prenotazione è sovraccarico in questo momento
busy-body = Il Suo posto resta valido. Riproveremo automaticamente tra pochi secondi. Per favore non chiuda questa pagina.
limited-title = Troppi nuovi numeri di coda
limited-body = Nell'ultimo minuto dalla Sua connessione internet sono stati presi moltissimi nuovi numeri di coda. Abbia un attimo di pazienza: la pagina riproverà da sola tra { $seconds ->
    [one] { $seconds } secondo
   *[other] { $seconds } secondi
}. Chi ha già un numero mantiene il proprio posto.

## Quanto resta

sold-out-kept = Il Suo posto resta comunque valido: se vengono restituiti appuntamenti o ne vengono resi disponibili di nuovi, la coda prosegue nel suo ordine e questa pagina Glielo mostrerà.
supply-left = { $count ->
    [one] C'è ancora { $count } appuntamento libero.
   *[other] Ci sono ancora { $count } appuntamenti liberi.
}
supply-about = { $count ->
    [one] C'è ancora circa { $count } appuntamento libero.
   *[other] Ci sono ancora circa { $count } appuntamenti liberi.
}
chance-likely = È probabile che quando sarà il Suo turno ci siano ancora appuntamenti liberi.
chance-uncertain = Non si può ancora dire con certezza se quando sarà il Suo turno ci saranno ancora appuntamenti liberi.
chance-unlikely = È improbabile che quando sarà il Suo turno ci siano ancora appuntamenti liberi.
chance-unknown = La coda non sa ancora quanti di quelli in attesa prenoteranno. Una stima delle Sue possibilità arriverà tra pochi minuti.
unlikely-advice = Può comunque continuare ad aspettare: se un appuntamento viene restituito, Lei avanza. Il Suo posto resta valido.
next-release = Nuovi appuntamenti sono previsti: { $when }.
release-in = Mancano ai nuovi appuntamenti: { $wait }.
release-due = Nuovi appuntamenti sono attesi da un momento all'altro.

## L'attesa a parole

wait-under-minute = meno di un minuto
wait-about = circa { $duration }
wait-up-to = al massimo { $duration }
wait-minutes-range = { $high ->
    [one] circa { $low }–{ $high } minuto
   *[other] circa { $low }–{ $high } minuti
}
wait-between = tra { $low } e { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } minuto
   *[other] { $minutes } minuti
}
duration-hours = { $hours ->
    [one] { $hours } ora
   *[other] { $hours } ore
}
duration-hours-minutes = { $hours } e { $minutes }

## Giorni e orari

time-of-day = { $time }
weekday = { $day ->
    [1] lunedì
    [2] martedì
    [3] mercoledì
    [4] giovedì
    [5] venerdì
    [6] sabato
   *[7] domenica
}
month = { $month ->
    [1] gennaio
    [2] febbraio
    [3] marzo
    [4] aprile
    [5] maggio
    [6] giugno
    [7] luglio
    [8] agosto
    [9] settembre
    [10] ottobre
    [11] novembre
   *[12] dicembre
}
day-and-time = { $weekday } { $day } { $month } { $year } alle { $time }

## Il codice del posto

code-label = Il Suo codice del posto
code-explain = Lo annoti: con questo codice riprende il Suo posto anche in un altro browser o su un altro dispositivo.
restore-title = Riprenda il Suo posto
restore-intro = Inserisca il codice del posto che Le ha mostrato la pagina d'attesa. Riceve di nuovo lo stesso posto in coda, non uno migliore. Maiuscole, minuscole, spazi e trattini non contano.
restore-field = Codice del posto
restore-submit = Riprendi il mio posto
restore-malformed = Un codice del posto ha 16 caratteri, cifre e lettere. Per favore controlli quanto inserito.
restore-unknown = Non conosciamo questo codice del posto. Per favore controlli ogni carattere.
restore-lapsed = Questo posto è stato chiamato e nel frattempo è scaduto. Può rimettersi in coda.
restore-limited = Dalla Sua connessione sono appena arrivati troppi tentativi. Per favore attenda un minuto.
restore-link = Il link della sua e-mail è scaduto e nel frattempo il suo posto è decaduto. Nemmeno il codice del posto della stessa e-mail può restituirlo. Può rimettersi in coda.

## L'invito

invite-title = Inserisca il Suo codice d'invito
invite-intro = Questa coda è riservata alle persone invitate. Inserisca il codice della Sua lettera d'invito. Se lo ha già inserito, riceve di nuovo lo stesso posto. Maiuscole, minuscole, spazi e trattini non contano.
invite-field = Codice d'invito
invite-submit = Prosegui verso la coda
invite-malformed = Un codice d'invito ha 18 caratteri, cifre e lettere. Per favore controlli quanto inserito.
invite-unknown = Non conosciamo questo codice d'invito. Per favore controlli ogni carattere.
invite-expired = Questo codice d'invito è scaduto.
invite-used = Con questo codice d'invito è già stato preso un posto, e quel posto nel frattempo è scaduto.

## Il campo e-mail

notify-label = Ricevere un'e-mail quando è il Suo turno
notify-explain = Non deve aspettare davanti allo schermo: poco prima del Suo turno Le inviamo un'e-mail. Il link contenuto La riporta al Suo posto.
notify-field = Il Suo indirizzo e-mail
notify-submit = Avvisatemi
notify-privacy = Conserviamo il Suo indirizzo solo fino all'invio di questa unica e-mail, poi lo cancelliamo.
notify-thanks = Le scriveremo
notify-thanks-text = Poco prima del Suo turno invieremo un'e-mail a { $address }. Ora può chiudere questa pagina; il posto resta Suo.
notify-back = Torna alla pagina d'attesa
notify-invalid = Questo non sembra un indirizzo e-mail. Per favore controlli quanto inserito.
notify-already = L’e-mail per questo posto l’abbiamo già inviata. Scriviamo una sola volta.
notify-limited = Sono appena arrivate troppe iscrizioni dalla Sua connessione o per questo indirizzo. Riprovi tra un'ora, oppure tenga aperta questa pagina.
notify-no-place = Non ha ancora un posto in coda. Apra prima la pagina d'attesa.
notify-called = È già il Suo turno. Apra la pagina d'attesa e potrà entrare.
notify-unavailable = In questo momento non possiamo accettare indirizzi. Per favore tenga aperta la pagina d'attesa.

## L'e-mail

letter-subject-soon = Tra poco è il Suo turno: { $site }
letter-subject-now = È il Suo turno: { $site }
letter-soon = Lei è in coda per «{ $site }» e tra poco è il Suo turno.
letter-now = Lei è in coda per «{ $site }» e adesso è il Suo turno.
letter-link = Apra questo link per tornare al Suo posto. Appena sarà il Suo turno, potrà entrare:
letter-until = Il link tiene il Suo posto fino a: { $when }. Dopo scade.
letter-code = Il Suo codice del posto: { $code }
letter-footer = Abbiamo cancellato il Suo indirizzo e-mail con l'invio di questo messaggio. È stato inviato automaticamente; nessuno legge le risposte.
letter-subject-sold-out = Tutti gli appuntamenti sono esauriti: { $site }
letter-sold-out = Lei è in coda per «{ $site }». Purtroppo nel frattempo tutti gli appuntamenti sono stati prenotati. Al momento non ha senso continuare ad aspettare.
letter-subject-closed = Le prenotazioni sono chiuse: { $site }
letter-closed = Lei era in coda per «{ $site }». Le prenotazioni sono chiuse e non restano appuntamenti liberi. Non ha senso continuare ad aspettare.
letter-kept = Se degli appuntamenti vengono restituiti, questo link La riporta al Suo posto:
letter-message = Una nota degli organizzatori: { $text }

## Le domande prima della coda

questions-title = Prima di mettersi in coda
questions-intro = Per favore risponda a queste domande. Così saprà subito, e non dopo ore, se per Lei vale la pena aspettare. Le Sue risposte non vengono salvate; il sito di prenotazione controlla da sé più tardi.
answer-yes = Sì
answer-no = No
questions-submit = Prosegui verso la coda
questions-incomplete = Per favore risponda a ogni domanda con sì o no.
questions-stale = Il modulo era scaduto. Per favore risponda di nuovo alle domande.
refused-title = Qui non può prenotare un appuntamento
refused-intro = In base alle Sue risposte, aspettare in questa coda non Le servirebbe:
refused-otherwise = In questo caso qui non può prenotare un appuntamento, e aspettare in questa coda non Le servirebbe.
change-answers = Modifica le risposte

## The way back, and the edges of the morning

have-place = Ha già un posto in coda – su un altro dispositivo, o ha lasciato il suo indirizzo e-mail? Il codice del posto le restituisce quel posto. Lo trova nella pagina d’attesa e nella nostra e-mail.
join-again = Rimettersi in coda
used-up-title = Questo posto è già stato usato
used-up-body = Con questo posto si è già entrati nel sito di prenotazione tante volte quante ne sono permesse a un posto, in più browser o app. I programmi di posta aprono spesso i link in un proprio browser, quindi ogni tocco sul link conta.
used-up-code = Se il sito di prenotazione è ancora aperto in un’altra finestra, app o dispositivo, continui lì. Il codice del posto e il link dell’e-mail portano a questo stesso posto, quindi non la fanno entrare un’altra volta.
notify-not-ascii = Non possiamo usare indirizzi con à, è, ä, ö, ü o altre lettere speciali prima della @: molti server di posta non li recapitano. Indichi un altro indirizzo, per favore. Le lettere speciali dopo la @ vanno bene.
notify-replaced-text = Abbiamo annotato il nuovo indirizzo: { $address }. Quello precedente è cancellato. Poco prima del suo turno le mandiamo lì un’e-mail.
notify-changes-used = L’indirizzo per questo posto è stato cambiato tutte le volte possibili. L’e-mail va all’ultimo indirizzo indicato.
notify-code = Il codice del suo posto: { $code }. Lo annoti: con esso riavrà il suo posto su qualsiasi dispositivo, anche prima che arrivi la nostra e-mail.
notify-noted = L’e-mail va a { $address }. Se è sbagliato, inserisca qui l’indirizzo giusto.
notify-change = Cambia indirizzo
