# wartesaal en español. Los mensajes y sus variables son los mismos que en
# locales/en/wartesaal.ftl.

language-name = Español
language-menu = Idioma

## La página de espera

waiting-title = Está en la cola
your-number = Su puesto en la cola
ahead = { $count ->
    [0] Usted es el siguiente.
    [one] Delante de usted queda { $count } persona.
   *[other] Delante de usted quedan { $count } personas.
}
estimate = Espera estimada: { $wait }.
keep-open = Por favor, mantenga esta página abierta. No hace falta recargarla: se actualiza sola.
your-turn = Cuando llegue su turno, pasará automáticamente al sitio de reservas. Conserva su puesto aunque recargue la página.
admitted = Es su turno. Cargando la página …
updated = Última actualización a las
refreshes = No hace falta recargar la página: se actualiza sola.

## Mientras no entra nadie

paused-title = El acceso está detenido por un momento
paused-body = Conserva su puesto en la cola. Cuando se reanude el acceso, avanzará automáticamente. Por favor, mantenga esta página abierta.
held-title = El acceso se ha detenido un momento
held-body = Su puesto se mantiene y nadie se le adelanta. En breve continúa; esta página lo comprueba sola. Por favor, manténgala abierta.
closed-title = En este momento no quedan citas libres
closed-body = Se han repartido todas las citas disponibles. Ahora mismo no tiene sentido esperar. Si se ofrecen citas nuevas, lo verá en esta página.
sold-out-title = Todas las citas están reservadas
sold-out-body = En este momento no hay ninguna cita libre. Ahora mismo no tiene sentido esperar.
last-title = Se están reservando las últimas citas
last-body = Las personas que están ahora en el sitio de reservas están reservando las últimas citas. Si queda una, usted es el siguiente. Lo sabrá en pocos minutos en esta página. Su puesto se mantiene.

## Antes de la apertura

before-title = Las reservas aún no están abiertas
opens-on = Apertura de las reservas: { $when }.
prequeue-invite = A partir de { $from } puede ponerse aquí en la cola. Todas las personas que estén aquí antes de { $open } reciben un puesto en orden aleatorio: da igual llegar pronto o justo antes de { $open }.
prequeue-title = Está en la cola previa
prequeue-body = Las reservas abren a { $open }. Entonces todas las personas que ya estén aquí reciben un puesto en orden aleatorio. Llegar antes no da ninguna ventaja. Por favor, mantenga esta página abierta: a { $open } le mostrará su puesto.
prequeue-size = { $count ->
    [one] Ya aquí: { $count } persona
   *[other] Ya aquí: { $count } personas
}
opens-in = Apertura dentro de { $wait }.

## El pequeño acertijo contra los programas automáticos

pow-title = Un momento, por favor
pow-working = Su navegador está resolviendo un pequeño acertijo que mantiene alejados a los programas automáticos. Suele tardar solo unos segundos; después recibe su puesto en la cola. Por favor, mantenga esta página abierta.
pow-needs-script = Esta cola necesita JavaScript: mientras la demanda es alta, comprueba a cada visitante nuevo con un pequeño acertijo en el navegador. Por favor, active JavaScript y recargue la página.

## Saturación y límite

busy-title = El sitio de reservas está saturado en este momento
busy-body = Su puesto se mantiene. Lo volveremos a intentar automáticamente en unos segundos. Por favor, no cierre esta página.
limited-title = Demasiados números de espera nuevos
limited-body = En el último minuto se han sacado muchísimos números de espera nuevos desde su conexión a internet. Tenga un poco de paciencia: la página lo volverá a intentar sola dentro de { $seconds ->
    [one] { $seconds } segundo
   *[other] { $seconds } segundos
}. Quien ya tiene un número conserva su puesto.

## Lo que queda

sold-out-kept = Conserva su puesto de todos modos: si se devuelven citas o se ofrecen nuevas, la cola sigue en el mismo orden, y esta página se lo mostrará.
supply-left = { $count ->
    [one] Queda { $count } cita libre.
   *[other] Quedan { $count } citas libres.
}
supply-about = { $count ->
    [one] Queda alrededor de { $count } cita libre.
   *[other] Quedan alrededor de { $count } citas libres.
}
chance-likely = Es probable que aún queden citas libres cuando llegue su turno.
chance-uncertain = Todavía no se puede decir con seguridad si quedarán citas libres cuando llegue su turno.
chance-unlikely = Es poco probable que aún queden citas libres cuando llegue su turno.
chance-unknown = La cola aún no sabe cuántas de las personas que esperan van a reservar. En unos minutos aparecerá una estimación de sus posibilidades.
unlikely-advice = Aun así puede seguir esperando: si alguien devuelve una cita, usted avanza. Conserva su puesto.
next-release = Se esperan citas nuevas: { $when }.
release-in = Citas nuevas dentro de { $wait }.
release-due = Se esperan citas nuevas en cualquier momento.

## La espera en palabras

wait-under-minute = menos de un minuto
wait-about = unos { $duration }
wait-up-to = hasta { $duration }
wait-minutes-range = { $high ->
    [one] unos { $low }–{ $high } minuto
   *[other] unos { $low }–{ $high } minutos
}
wait-between = entre { $low } y { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } minuto
   *[other] { $minutes } minutos
}
duration-hours = { $hours ->
    [one] { $hours } hora
   *[other] { $hours } horas
}
duration-hours-minutes = { $hours } y { $minutes }

## Días y horas

time-of-day = { $time }
weekday = { $day ->
    [1] lunes
    [2] martes
    [3] miércoles
    [4] jueves
    [5] viernes
    [6] sábado
   *[7] domingo
}
month = { $month ->
    [1] enero
    [2] febrero
    [3] marzo
    [4] abril
    [5] mayo
    [6] junio
    [7] julio
    [8] agosto
    [9] septiembre
    [10] octubre
    [11] noviembre
   *[12] diciembre
}
day-and-time = { $weekday }, { $day } de { $month } de { $year }, a las { $time }

## El código de puesto

code-label = Su código de puesto
code-explain = Apúntelo: con este código recupera su puesto también en otro navegador o en otro dispositivo.
restore-title = Recuperar su puesto
restore-intro = Introduzca el código de puesto que le mostró la página de espera. Recupera el mismo puesto en la cola, no uno mejor. Mayúsculas, minúsculas, espacios y guiones dan igual.
restore-field = Código de puesto
restore-submit = Recuperar mi puesto
restore-malformed = Un código de puesto tiene 16 caracteres, cifras y letras. Por favor, revise lo que ha escrito.
restore-unknown = No conocemos este código de puesto. Por favor, revise cada carácter.
restore-lapsed = A este puesto ya le llegó el turno y desde entonces ha caducado. Puede volver a ponerse en la cola.
restore-limited = Acaban de llegar demasiados intentos desde su conexión. Por favor, espere un minuto.
restore-link = El enlace de su correo ha caducado y, entretanto, su lugar se ha perdido. Tampoco el código de lugar del mismo correo puede devolverlo. Puede volver a hacer cola.

## La invitación

invite-title = Introduzca su código de invitación
invite-intro = Esta cola es para personas invitadas. Introduzca el código de su carta de invitación. Si ya lo introdujo antes, recupera el mismo puesto. Mayúsculas, minúsculas, espacios y guiones dan igual.
invite-field = Código de invitación
invite-submit = Continuar a la cola
invite-malformed = Un código de invitación tiene 18 caracteres, cifras y letras. Por favor, revise lo que ha escrito.
invite-unknown = No conocemos este código de invitación. Por favor, revise cada carácter.
invite-expired = Este código de invitación ha caducado.
invite-used = Con este código de invitación ya se obtuvo un puesto, y ese puesto ha caducado desde entonces.

## El campo de correo

notify-label = Recibir un correo cuando llegue su turno
notify-explain = No tiene que esperar delante de la pantalla: poco antes de su turno le enviamos un correo. Su enlace le devuelve a su puesto.
notify-field = Su dirección de correo electrónico
notify-submit = Avisarme
notify-privacy = Guardamos su dirección solo hasta enviar este único correo y después la borramos.
notify-thanks = Le escribiremos
notify-thanks-text = Poco antes de su turno enviaremos un correo a { $address }. Ya puede cerrar esta página; su puesto sigue siendo suyo.
notify-back = Volver a la página de espera
notify-invalid = Eso no parece una dirección de correo. Por favor, revise lo que ha escrito.
notify-already = Ya enviamos el correo para este lugar. Solo escribimos una vez.
notify-limited = Acaban de llegar demasiadas inscripciones desde su conexión o para esta dirección. Por favor, inténtelo de nuevo dentro de una hora o mantenga esta página abierta.
notify-no-place = Todavía no tiene puesto en la cola. Abra primero la página de espera.
notify-called = Ya es su turno. Abra la página de espera y podrá entrar.
notify-unavailable = Ahora mismo no podemos aceptar direcciones. Por favor, mantenga la página de espera abierta.

## El correo

letter-subject-soon = Pronto es su turno: { $site }
letter-subject-now = Es su turno: { $site }
letter-soon = Está esperando en la cola de «{ $site }» y pronto es su turno.
letter-now = Está esperando en la cola de «{ $site }» y ahora es su turno.
letter-link = Abra este enlace para volver a su puesto. En cuanto sea su turno, podrá entrar:
letter-until = El enlace guarda su puesto hasta: { $when }. Después caduca.
letter-code = Su código de puesto: { $code }
letter-footer = Borramos su dirección de correo al enviar este mensaje. Se envió automáticamente; nadie lee las respuestas.
letter-subject-sold-out = Todas las citas están reservadas: { $site }
letter-sold-out = Está esperando en la cola de «{ $site }». Lamentablemente, mientras tanto se han reservado todas las citas. Ahora mismo no tiene sentido seguir esperando.
letter-subject-closed = Las reservas han terminado: { $site }
letter-closed = Estaba esperando en la cola de «{ $site }». Las reservas han terminado y no queda ninguna cita. No tiene sentido seguir esperando.
letter-kept = Si se liberan citas, este enlace le devuelve a su puesto:
letter-message = Una nota de los organizadores: { $text }

## Las preguntas antes de la cola

questions-title = Antes de ponerse en la cola
questions-intro = Por favor, responda a estas preguntas. Así sabrá enseguida, y no después de horas, si le merece la pena esperar. Sus respuestas no se guardan; el sitio de reservas lo comprobará por su cuenta más tarde.
answer-yes = Sí
answer-no = No
questions-submit = Continuar a la cola
questions-incomplete = Por favor, responda a cada pregunta con sí o no.
questions-stale = El formulario había caducado. Por favor, responda de nuevo a las preguntas.
refused-title = Aquí no puede reservar una cita
refused-intro = Según sus respuestas, esperar en esta cola no le ayudaría:
refused-otherwise = En ese caso no puede reservar una cita aquí, y esperar en esta cola no le ayudaría.
change-answers = Cambiar mis respuestas

## The way back, and the edges of the morning

have-place = ¿Ya tiene un lugar en la cola – en otro dispositivo, o dejó su dirección de correo electrónico? Su código de lugar le devuelve ese lugar. Está en su página de espera y en nuestro correo.
join-again = Volver a hacer cola
used-up-title = Este lugar ya se ha usado
used-up-body = Con este lugar ya se ha entrado en el sitio de citas tantas veces como se permite a un lugar, en varios navegadores o aplicaciones. Los programas de correo suelen abrir los enlaces en un navegador propio, así que cada toque en el enlace cuenta.
used-up-code = Si el sitio de citas sigue abierto en otra ventana, aplicación o dispositivo, continúe allí. El código de lugar y el enlace del correo llevan a este mismo lugar, así que no pueden dejarle entrar una vez más.
notify-not-ascii = No podemos usar direcciones con ñ, á, ä, ö, ü u otras letras especiales antes de la @: muchos servidores de correo no las entregan. Indique otra dirección, por favor. Las letras especiales después de la @ no son problema.
notify-replaced-text = Hemos anotado la nueva dirección: { $address }. La anterior se ha borrado. Poco antes de su turno le enviamos allí un correo.
notify-changes-used = La dirección de este lugar se ha cambiado tantas veces como es posible. El correo va a la última dirección indicada.
notify-code = Su código de lugar: { $code }. Anótelo: con él recupera su lugar en cualquier dispositivo, incluso antes de que llegue nuestro correo.
notify-noted = El correo irá a { $address }. Si es incorrecto, escriba aquí la dirección correcta.
notify-change = Cambiar dirección
