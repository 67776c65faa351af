</main>
<footer class="bottom">Centralita</footer>
</body>
</html>
